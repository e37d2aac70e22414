import { z } from "zod";
import type { Attachment, InboundEvent, InboundMessage } from "../../src/model/inbound.ts";
import { phoneDigits } from "../../adapters/shared/phone.ts";
import { readStartCommand } from "../../adapters/shared/start-source.ts";

/**
 * Telegram Update → InboundEvent[]. The schemas are loose on purpose: they name only
 * the fields we read, unknown fields pass, so a Bot API addition never breaks intake.
 * Only private chats are handled for now; groups, channels and edits yield no events.
 */

export class TelegramUpdateError extends Error {
  /** set when the body was an update (it had an update_id) whose known fields were malformed */
  readonly updateId: number | undefined;
  constructor(message: string, updateId?: number) {
    super(message);
    this.name = "TelegramUpdateError";
    this.updateId = updateId;
  }
}

const Id = z.number().int();
const User = z.object({
  id: Id,
  first_name: z.string().optional(),
  last_name: z.string().optional(),
  language_code: z.string().optional(),
});
const Chat = z.object({ id: Id, type: z.string() });
const FileRef = z.object({
  file_id: z.string(),
  file_name: z.string().optional(),
  mime_type: z.string().optional(),
});
const PhotoSize = z.object({
  file_id: z.string(),
  width: z.number().optional(),
  height: z.number().optional(),
  file_size: z.number().optional(),
});

const Message = z.object({
  message_id: Id,
  date: z.number(),
  chat: Chat,
  from: User.optional(),
  text: z.string().optional(),
  caption: z.string().optional(),
  contact: z.object({ phone_number: z.string(), user_id: Id.optional() }).optional(),
  location: z.object({ latitude: z.number(), longitude: z.number() }).optional(),
  photo: z.array(PhotoSize).optional(),
  document: FileRef.optional(),
  animation: FileRef.optional(),
  audio: FileRef.optional(),
  voice: FileRef.optional(),
  video: FileRef.optional(),
  video_note: FileRef.optional(),
  sticker: FileRef.optional(),
});
type Message = z.infer<typeof Message>;

const CallbackQuery = z.object({
  id: z.string(),
  from: User,
  // MaybeInaccessibleMessage: both shapes carry message_id and chat
  message: z.object({ message_id: Id, chat: Chat }).optional(),
  data: z.string().optional(),
});

const ChatMemberUpdated = z.object({
  chat: Chat,
  from: User,
  date: z.number(),
  new_chat_member: z.object({ status: z.string() }),
});

const UpdateHead = z.object({ update_id: Id.nonnegative() });
const Update = UpdateHead.extend({
  message: Message.optional(),
  callback_query: CallbackQuery.optional(),
  my_chat_member: ChatMemberUpdated.optional(),
});
export type TelegramUpdate = z.infer<typeof Update>;

export interface ParsedUpdate {
  events: InboundEvent[];
  /** a pressed inline button: answer it (after ingest) so the client's spinner stops */
  callbackQueryId?: string;
}

/** Validates the shape; throws TelegramUpdateError (and nothing else) when it is wrong. */
export function validateTelegramUpdate(update: unknown): TelegramUpdate {
  const head = UpdateHead.safeParse(update);
  if (!head.success) throw new TelegramUpdateError("not a Telegram update: update_id missing or invalid");
  const full = Update.safeParse(update);
  if (!full.success) {
    const issue = full.error.issues[0];
    const where = issue ? `${issue.path.join(".")}: ${issue.message}` : "invalid";
    throw new TelegramUpdateError(`update ${head.data.update_id} is malformed (${where})`, head.data.update_id);
  }
  return full.data;
}

export function parseUpdate(update: unknown, now: number = Date.now()): ParsedUpdate {
  const u = validateTelegramUpdate(update);
  const dedupeKey = String(u.update_id);

  if (u.message) {
    const event = fromMessage(u.message, dedupeKey);
    return { events: event ? [event] : [] };
  }

  if (u.callback_query) {
    const q = u.callback_query;
    const chat = q.message?.chat;
    const result: ParsedUpdate = { events: [], callbackQueryId: q.id };
    // game callbacks carry no data; group keyboards are out of scope for now
    if (q.data === undefined || (chat && chat.type !== "private")) return result;
    result.events.push({
      type: "message",
      channel: "telegram",
      chatId: String(chat?.id ?? q.from.id),
      userId: String(q.from.id),
      dedupeKey,
      // the message that carried the keyboard, so it can be edited later
      platformMessageId: q.message ? String(q.message.message_id) : `cbq:${q.id}`,
      // a callback has no date of its own
      at: now,
      buttonId: q.data,
      ...profile(q.from),
    });
    return result;
  }

  if (u.my_chat_member) {
    const m = u.my_chat_member;
    if (m.chat.type !== "private") return { events: [] };
    const status = m.new_chat_member.status;
    if (status !== "kicked" && status !== "member") return { events: [] };
    return {
      events: [
        {
          type: "reachability",
          channel: "telegram",
          chatId: String(m.chat.id),
          userId: String(m.from.id),
          dedupeKey,
          at: m.date * 1000,
          reachable: status === "member",
        },
      ],
    };
  }

  // edited_message, channel_post, polls, business updates…: acknowledged and ignored
  return { events: [] };
}

/** The pure parser: one update → 0 or 1 events. */
export function parseTelegramUpdate(update: unknown): InboundEvent[] {
  return parseUpdate(update).events;
}

function profile(from: z.infer<typeof User>): Pick<InboundMessage, "locale" | "profileName"> {
  const name = [from.first_name, from.last_name].filter((s) => s && s.trim() !== "").join(" ");
  return {
    ...(from.language_code ? { locale: from.language_code } : {}),
    ...(name ? { profileName: name } : {}),
  };
}

function fromMessage(m: Message, dedupeKey: string): InboundMessage | null {
  if (m.chat.type !== "private") return null;
  const from = m.from ?? { id: m.chat.id };
  const msg: InboundMessage = {
    type: "message",
    channel: "telegram",
    chatId: String(m.chat.id),
    userId: String(from.id),
    dedupeKey,
    platformMessageId: String(m.message_id),
    at: m.date * 1000,
    ...profile(from),
  };

  const text = m.text ?? m.caption;
  if (text !== undefined) {
    const start = m.text !== undefined ? readStartCommand(m.text, { mention: true }) : null;
    if (start) {
      msg.text = "/start";
      if (start.source !== undefined) msg.source = start.source;
    } else {
      msg.text = text;
    }
  }

  if (m.contact) {
    // only the sender's own number (the request_contact button); a forwarded card is someone else's
    if (m.contact.user_id === undefined || m.contact.user_id === from.id) {
      const digits = phoneDigits(m.contact.phone_number);
      if (digits) msg.phone = digits;
    } else {
      msg.hints = { foreignContact: true };
    }
  }
  if (m.location) msg.location = { lat: m.location.latitude, lon: m.location.longitude };

  const attachments = attachmentsOf(m);
  if (attachments.length > 0) msg.attachments = attachments;

  const hasContent =
    msg.text !== undefined || msg.phone !== undefined || msg.location !== undefined || attachments.length > 0 || msg.hints;
  // dice, polls, service messages…: nothing the engine can act on
  return hasContent ? msg : null;
}

function attachmentsOf(m: Message): Attachment[] {
  const out: Attachment[] = [];
  if (m.photo && m.photo.length > 0) {
    // sizes come smallest first, but pick by area to not depend on that
    const area = (p: z.infer<typeof PhotoSize>) => (p.width ?? 0) * (p.height ?? 0) || (p.file_size ?? 0);
    const largest = m.photo.reduce((a, b) => (area(b) >= area(a) ? b : a));
    out.push({ kind: "photo", fileId: largest.file_id });
  }
  const file = (kind: Attachment["kind"], f: z.infer<typeof FileRef>): Attachment => ({
    kind,
    fileId: f.file_id,
    ...(f.file_name ? { name: f.file_name } : {}),
    ...(f.mime_type ? { mimeType: f.mime_type } : {}),
  });
  // an animation also carries `document` for old clients: report it once
  if (m.animation) out.push(file("video", m.animation));
  else if (m.document) out.push(file("document", m.document));
  if (m.audio) out.push(file("audio", m.audio));
  if (m.voice) out.push(file("audio", m.voice));
  if (m.video) out.push(file("video", m.video));
  if (m.video_note) out.push(file("video", m.video_note));
  if (m.sticker) out.push({ kind: "sticker", fileId: m.sticker.file_id });
  return out;
}
