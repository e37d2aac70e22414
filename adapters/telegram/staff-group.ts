import { Api, GrammyError, HttpError } from "grammy";
import { z } from "zod";
import type { TelegramConfig } from "./config.ts";
import {
  StaffGroupError,
  type StaffGroupApi,
  type StaffGroupFailure,
  type StaffGroupHandler,
  type StaffGroupMessage,
} from "../../src/staff/telegram-group/port.ts";
import { undiciFetch } from "./http.ts";

/**
 * The SDK-facing half of the Telegram staff group (src/staff/telegram-group/ is the
 * other): Bot API calls with grammY's Api, their errors mapped onto what the desk acts
 * on, and the group's updates parsed. Updates of the staff chat never reach `ingest`:
 * the intake hands them to the desk's handler (see intake.ts).
 */

/** Bot API texts for a topic that is gone (deleted by an admin) or closed. */
const THREAD_GONE = /message thread not found|thread not found|TOPIC_DELETED|TOPIC_ID_INVALID/i;
const THREAD_CLOSED = /TOPIC_CLOSED/i;

export function toStaffGroupFailure(err: unknown): StaffGroupFailure {
  if (err instanceof GrammyError) {
    const message = `${err.method}: ${err.error_code} ${err.description}`;
    if (err.error_code === 429) return { kind: "rate_limited", retryAfterMs: Math.max(0, err.parameters.retry_after ?? 1) * 1000, message };
    if (THREAD_GONE.test(err.description)) return { kind: "thread_gone", message };
    if (THREAD_CLOSED.test(err.description)) return { kind: "thread_closed", message };
    if (err.error_code >= 500) return { kind: "transient", message };
    return { kind: "permanent", message };
  }
  if (err instanceof HttpError) return { kind: "transient", message: err.message.replace(/\/bot[^/\s]+\//g, "/bot<token>/") };
  return { kind: "transient", message: err instanceof Error ? err.message : String(err) };
}

async function call<T>(f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (err) {
    throw new StaffGroupError(toStaffGroupFailure(err));
  }
}

export function createStaffGroupApi(config: Pick<TelegramConfig, "token" | "apiRoot">, chatId: string, opts: { timeoutSeconds?: number } = {}): StaffGroupApi {
  const api = new Api(config.token, {
    apiRoot: config.apiRoot.replace(/\/+$/, ""),
    timeoutSeconds: opts.timeoutSeconds ?? 15,
    fetch: undiciFetch({ connections: 4 }),
  });
  const chat = Number(chatId);
  const thread = (threadId: number | undefined) => (threadId !== undefined ? { message_thread_id: threadId } : {});
  return {
    chatId,
    sendText: (text, threadId) =>
      call(async () => (await api.sendMessage(chat, text, { ...thread(threadId), link_preview_options: { is_disabled: true } })).message_id),
    sendMedia: (media, threadId) =>
      call(async () => {
        const extra = { ...thread(threadId), ...(media.caption ? { caption: media.caption } : {}) };
        const sent = media.kind === "photo" ? await api.sendPhoto(chat, media.file, extra) : await api.sendDocument(chat, media.file, extra);
        return sent.message_id;
      }),
    createTopic: (name) => call(async () => (await api.createForumTopic(chat, name)).message_thread_id),
    editTopic: (threadId, name) => call(async () => void (await api.editForumTopic(chat, threadId, { name }))),
    closeTopic: (threadId) => call(async () => void (await api.closeForumTopic(chat, threadId))),
    reopenTopic: (threadId) => call(async () => void (await api.reopenForumTopic(chat, threadId))),
  };
}

const GroupMessage = z.object({
  message_id: z.number().int(),
  date: z.number(),
  chat: z.object({ id: z.number().int(), type: z.string() }),
  message_thread_id: z.number().int().optional(),
  is_topic_message: z.boolean().optional(),
  from: z.object({ id: z.number().int(), is_bot: z.boolean().default(false), first_name: z.string().default(""), last_name: z.string().optional(), username: z.string().optional() }).optional(),
  text: z.string().optional(),
  caption: z.string().optional(),
  photo: z.array(z.object({ file_id: z.string(), width: z.number().optional(), height: z.number().optional() })).optional(),
  document: z.object({ file_id: z.string() }).optional(),
});
const GroupUpdate = z.object({ update_id: z.number().int(), message: GroupMessage.optional(), edited_message: z.unknown().optional() });
const COMMAND = /^\/(bot|close)(?:@[A-Za-z0-9_]+)?\s*$/;

/** The chat an update came from (any kind of message), to route it before parsing. */
export function chatOfUpdate(update: unknown): number | undefined {
  if (typeof update !== "object" || update === null) return undefined;
  for (const field of ["message", "edited_message", "channel_post", "my_chat_member", "chat_member", "callback_query"] as const) {
    const part = (update as Record<string, unknown>)[field];
    if (typeof part !== "object" || part === null) continue;
    const chat = (part as { chat?: { id?: unknown }; message?: { chat?: { id?: unknown } } }).chat ?? (part as { message?: { chat?: { id?: unknown } } }).message?.chat;
    if (typeof chat?.id === "number") return chat.id;
  }
  return undefined;
}

/**
 * A staff group update → a staff message, or null for what the desk does not act on
 * (edits, service messages such as "topic created", messages of bots).
 */
export function parseStaffGroupUpdate(update: unknown): StaffGroupMessage | null {
  const parsed = GroupUpdate.safeParse(update);
  if (!parsed.success || !parsed.data.message) return null;
  const m = parsed.data.message;
  if (!m.from || m.from.is_bot) return null;
  const name = [m.from.first_name, m.from.last_name].filter(Boolean).join(" ").trim() || (m.from.username ? `@${m.from.username}` : `id${m.from.id}`);
  const text = m.text ?? m.caption;
  const command = m.text ? COMMAND.exec(m.text.trim())?.[1] : undefined;
  const photo = m.photo?.at(-1);
  const media = photo ? { kind: "photo" as const, file: photo.file_id } : m.document ? { kind: "document" as const, file: m.document.file_id } : undefined;
  if (text === undefined && !media) return null;
  const out: StaffGroupMessage = {
    updateId: parsed.data.update_id,
    messageId: m.message_id,
    // only a topic's messages are the topic's (a reply elsewhere may carry a thread id too)
    ...(m.message_thread_id !== undefined && m.is_topic_message === true ? { threadId: m.message_thread_id } : {}),
    from: { id: m.from.id, name: name.slice(0, 60), isBot: m.from.is_bot },
    at: m.date * 1000,
  };
  if (text !== undefined) out.text = text;
  if (command === "bot" || command === "close") out.command = command;
  if (media) out.media = media;
  return out;
}

/** Where the intake sends the staff chat's updates; set by the desk once it is wired. */
export interface StaffGroupRoute {
  chatId: number;
  handler?: StaffGroupHandler;
}
