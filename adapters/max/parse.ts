import { z } from "zod";
import type { Attachment, InboundEvent, InboundMessage } from "../../src/model/inbound.ts";
import { phoneDigits } from "../../adapters/shared/phone.ts";
import { readStartCommand, startPayloadSource } from "../../adapters/shared/start-source.ts";

/**
 * MAX Update → InboundEvent[] (docs/limits.md M1-M9). Loose schemas: only the fields we
 * read are named, unknown fields pass, so a Bot API addition never breaks intake.
 * Dialogs only; group chats and channels yield no events. Timestamps are epoch ms.
 */

export class MaxUpdateError extends Error {
  /** set when the body was an update (it had an update_type) whose known fields were malformed */
  readonly updateType: string | undefined;
  constructor(message: string, updateType?: string) {
    super(message);
    this.name = "MaxUpdateError";
    this.updateType = updateType;
  }
}

const Id = z.number().int();
const User = z.object({
  user_id: Id,
  first_name: z.string().nullish(),
  last_name: z.string().nullish(),
  name: z.string().nullish(),
  is_bot: z.boolean().optional(),
});
type User = z.infer<typeof User>;

const Recipient = z.object({
  chat_id: Id.nullish(),
  chat_type: z.string().nullish(),
  user_id: Id.nullish(),
});

const RawAttachment = z.object({ type: z.string() }).passthrough();
const Media = z.object({ url: z.string().nullish(), token: z.string().nullish() }).passthrough();

const Body = z.object({
  mid: z.string().min(1),
  text: z.string().nullish(),
  attachments: z.array(RawAttachment).nullish(),
});

const Message = z.object({
  sender: User.nullish(),
  recipient: Recipient,
  timestamp: z.number(),
  body: Body,
});
type Message = z.infer<typeof Message>;

const Head = z.object({ update_type: z.string().min(1), timestamp: z.number() });

const MessageCreated = Head.extend({ message: Message, user_locale: z.string().nullish() });
const MessageCallback = Head.extend({
  callback: z.object({ callback_id: z.string().min(1), payload: z.string().nullish(), user: User, timestamp: z.number().optional() }),
  message: Message.nullish(),
  user_locale: z.string().nullish(),
});
const BotStarted = Head.extend({ chat_id: Id, user: User, payload: z.string().nullish(), user_locale: z.string().nullish() });
const BotStopped = Head.extend({ chat_id: Id, user: User });

/** the update types the adapter reads; the rest are acknowledged and ignored (setup subscribes to these) */
export const UPDATE_TYPES = ["message_created", "message_callback", "bot_started", "bot_stopped"] as const;

export interface ParsedUpdate {
  events: InboundEvent[];
  /** a pressed button: answer it (POST /answers) after ingest so the client stops waiting */
  callbackId?: string;
}

function check<T>(schema: z.ZodType<T>, update: unknown, type: string): T {
  const r = schema.safeParse(update);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const where = issue ? `${issue.path.join(".")}: ${issue.message}` : "invalid";
  throw new MaxUpdateError(`${type} update is malformed (${where})`, type);
}

/** Throws MaxUpdateError (and nothing else) for a body that is not a readable update. */
export function parseMaxUpdate(update: unknown): ParsedUpdate {
  const head = Head.safeParse(update);
  if (!head.success) throw new MaxUpdateError("not a MAX update: update_type or timestamp missing");
  const type = head.data.update_type;
  switch (type) {
    case "message_created": {
      const u = check(MessageCreated, update, type);
      const event = fromMessage(u.message, u.user_locale ?? undefined);
      return { events: event ? [event] : [] };
    }
    case "message_callback": {
      const u = check(MessageCallback, update, type);
      const { callback } = u;
      const result: ParsedUpdate = { events: [], callbackId: callback.callback_id };
      const chatType = u.message?.recipient.chat_type;
      if (!callback.payload || (chatType && chatType !== "dialog")) return result;
      const chatId = u.message?.recipient.chat_id ?? callback.user.user_id;
      result.events.push({
        type: "message",
        channel: "max",
        chatId: String(chatId),
        userId: String(callback.user.user_id),
        // M6: callback_id is unique per press
        dedupeKey: `cb:${callback.callback_id}`,
        platformMessageId: u.message?.body.mid ?? `cb:${callback.callback_id}`,
        at: callback.timestamp ?? u.timestamp,
        buttonId: callback.payload,
        ...profile(callback.user, u.user_locale ?? undefined),
      });
      return result;
    }
    case "bot_started": {
      const u = check(BotStarted, update, type);
      // M8: MAX's start payload is up to 128 chars; a source keeps Telegram's rule (ours are short)
      const source = startPayloadSource(u.payload?.trim());
      const msg: InboundMessage = {
        type: "message",
        channel: "max",
        chatId: String(u.chat_id),
        userId: String(u.user.user_id),
        // bot_started has no id of its own; the same press redelivered has the same timestamp
        dedupeKey: `start:${u.chat_id}:${u.user.user_id}:${u.timestamp}`,
        platformMessageId: `start:${u.timestamp}`,
        at: u.timestamp,
        text: "/start",
        ...(source ? { source } : {}),
        ...profile(u.user, u.user_locale ?? undefined),
      };
      return { events: [msg] };
    }
    case "bot_stopped": {
      const u = check(BotStopped, update, type);
      return {
        events: [
          {
            type: "reachability",
            channel: "max",
            chatId: String(u.chat_id),
            userId: String(u.user.user_id),
            dedupeKey: `stop:${u.chat_id}:${u.user.user_id}:${u.timestamp}`,
            at: u.timestamp,
            reachable: false,
          },
        ],
      };
    }
    default:
      // message_edited, message_removed, bot_added, dialog_*, chat_title_changed…: acknowledged and ignored
      return { events: [] };
  }
}

function profile(u: User, locale: string | undefined): Pick<InboundMessage, "locale" | "profileName"> {
  const name = [u.first_name, u.last_name].filter((s) => s && s.trim() !== "").join(" ") || (u.name ?? "").trim();
  return { ...(locale ? { locale } : {}), ...(name ? { profileName: name } : {}) };
}

function fromMessage(m: Message, locale: string | undefined): InboundMessage | null {
  if (m.recipient.chat_type && m.recipient.chat_type !== "dialog") return null;
  const sender = m.sender;
  if (!sender || sender.is_bot) return null;
  const chatId = m.recipient.chat_id ?? sender.user_id;
  const msg: InboundMessage = {
    type: "message",
    channel: "max",
    chatId: String(chatId),
    userId: String(sender.user_id),
    // M5: mid is the message's unique id
    dedupeKey: m.body.mid,
    platformMessageId: m.body.mid,
    at: m.timestamp,
    ...profile(sender, locale),
  };
  const text = m.body.text ?? undefined;
  if (text !== undefined && text !== "") {
    const start = readStartCommand(text.trim());
    if (start) {
      msg.text = "/start";
      if (start.source !== undefined) msg.source = start.source;
    } else {
      msg.text = text;
    }
  }
  const attachments: Attachment[] = [];
  for (const a of m.body.attachments ?? []) {
    if (a.type === "contact") {
      const phone = ownPhone(a, sender.user_id);
      if (phone === "foreign") msg.hints = { foreignContact: true };
      else if (phone) msg.phone = phone;
      continue;
    }
    if (a.type === "location") {
      const lat = Number(a.latitude);
      const lon = Number(a.longitude);
      if (Number.isFinite(lat) && Number.isFinite(lon)) msg.location = { lat, lon };
      continue;
    }
    if (a.type === "inline_keyboard") continue;
    attachments.push(attachmentOf(a));
  }
  if (attachments.length > 0) msg.attachments = attachments;
  const hasContent = msg.text !== undefined || msg.phone !== undefined || msg.location !== undefined || attachments.length > 0 || msg.hints;
  return hasContent ? msg : null;
}

const ContactPayload = z.object({
  vcf_info: z.string().nullish(),
  max_info: z.object({ user_id: Id }).passthrough().nullish(),
});

/**
 * M9: the request_contact button sends the customer's own card (max_info is them) with
 * the number in vcf_info's TEL line. A card of someone else is not their phone.
 */
function ownPhone(a: z.infer<typeof RawAttachment>, senderId: number): string | "foreign" | undefined {
  const p = ContactPayload.safeParse(a.payload);
  if (!p.success) return undefined;
  const owner = p.data.max_info?.user_id;
  if (owner !== undefined && owner !== senderId) return "foreign";
  const tel = /^TEL[^:\r\n]*:([^\r\n]+)$/im.exec(p.data.vcf_info ?? "");
  const digits = phoneDigits(tel?.[1] ?? "");
  return digits.length >= 5 && digits.length <= 15 ? digits : undefined;
}

const KINDS: Record<string, Attachment["kind"]> = { image: "photo", video: "video", audio: "audio", file: "document", sticker: "sticker" };

function attachmentOf(a: z.infer<typeof RawAttachment>): Attachment {
  const media = Media.safeParse(a.payload);
  const url = media.success ? (media.data.url ?? undefined) : undefined;
  const token = media.success ? (media.data.token ?? undefined) : undefined;
  const name = typeof a.filename === "string" ? a.filename : undefined;
  return {
    kind: KINDS[a.type] ?? "other",
    ...(url ? { url } : {}),
    ...(token ? { fileId: token } : {}),
    ...(name ? { name } : {}),
  };
}
