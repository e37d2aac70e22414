import { createHash } from "node:crypto";
import { z } from "zod";
import type { Attachment, InboundEvent, InboundMessage } from "../../src/model/inbound.ts";
import { jsonOrUndefined } from "../../adapters/shared/json-or-undefined.ts";
import { sourceByDropping } from "../../adapters/shared/start-source.ts";

/**
 * VK Callback API envelopes → the shared inbound model. Pure: no I/O, no secret
 * check (the route does that before calling in). Only an envelope that is not an
 * object with a string `type` is an error; a known event whose object we cannot
 * read, or a kind we do not handle, yields no events, because VK would redeliver
 * the same bytes forever if we refused them.
 */
export class VkParseError extends Error {
  override readonly name = "VkParseError";
}

/** peer_id of a group chat is 2e9 + chat id (V8); we only talk in private dialogs. */
const CHAT_PEER_OFFSET = 2_000_000_000;

/** VK sends ids as JSON numbers; tolerate numeric strings, reject anything unsafe. */
const vkId = z.union([
  z.number().int().refine((n) => Number.isSafeInteger(n)),
  z
    .string()
    .regex(/^-?\d{1,15}$/)
    .transform(Number),
]);

export const VkEnvelopeSchema = z.object({
  type: z.string(),
  object: z.unknown().optional(),
  group_id: vkId.optional().catch(undefined),
  event_id: z.string().optional().catch(undefined),
  v: z.string().optional().catch(undefined),
  secret: z.string().optional().catch(undefined),
});
export type VkEnvelope = z.infer<typeof VkEnvelopeSchema>;

const ClientInfoSchema = z.object({
  button_actions: z.array(z.string()).optional().catch(undefined),
  keyboard: z.boolean().optional().catch(undefined),
  inline_keyboard: z.boolean().optional().catch(undefined),
  lang_id: z.number().int().optional().catch(undefined),
});

const GeoSchema = z.object({
  coordinates: z.object({
    latitude: z.number().min(-90).max(90),
    longitude: z.number().min(-180).max(180),
  }),
});

const MessageSchema = z.object({
  id: vkId.optional().catch(undefined),
  conversation_message_id: vkId.optional().catch(undefined),
  date: z.number().nonnegative().optional().catch(undefined),
  from_id: vkId,
  peer_id: vkId,
  out: z.number().optional().catch(undefined),
  text: z.string().optional().catch(undefined),
  payload: z.string().optional().catch(undefined),
  ref: z.string().optional().catch(undefined),
  ref_source: z.string().optional().catch(undefined),
  attachments: z.array(z.unknown()).optional().catch(undefined),
  geo: GeoSchema.optional().catch(undefined),
});

/** API ≥ 5.103 wraps the message with client_info; older versions send the message itself. */
const MessageNewSchema = z.union([
  z.object({ message: MessageSchema, client_info: ClientInfoSchema.optional().catch(undefined) }),
  MessageSchema.transform((message) => ({ message, client_info: undefined })),
]);

const MessageEventSchema = z.object({
  user_id: vkId,
  peer_id: vkId,
  event_id: z.string().min(1),
  payload: z.unknown().optional(),
  conversation_message_id: vkId.optional().catch(undefined),
});

const UserIdSchema = z.object({ user_id: vkId });

/** What the route must do besides ingesting: stop the spinner on a callback button. */
export interface VkEventAnswer {
  event_id: string;
  user_id: number;
  peer_id: number;
}

export interface VkUpdate {
  envelope: VkEnvelope;
  events: InboundEvent[];
  answer?: VkEventAnswer;
  /** why a handled kind produced nothing (for logs) */
  skipped?: string;
}

export function parseVkEnvelope(body: unknown): VkEnvelope {
  const parsed = VkEnvelopeSchema.safeParse(body);
  if (!parsed.success) throw new VkParseError("not a VK Callback API event: expected an object with a string `type`");
  return parsed.data;
}

export function parseVkCallback(body: unknown, now: number = Date.now()): InboundEvent[] {
  return parseVkUpdate(body, now).events;
}

export function parseVkUpdate(body: unknown, now: number = Date.now()): VkUpdate {
  const envelope = parseVkEnvelope(body);
  switch (envelope.type) {
    case "message_new":
      return { envelope, ...messageNew(envelope, now) };
    case "message_event":
      return { envelope, ...messageEvent(envelope, now) };
    case "message_allow":
    case "message_deny":
      return { envelope, ...reachability(envelope, now) };
    default:
      return { envelope, events: [] };
  }
}

const isPrivatePeer = (peer: number) => peer > 0 && peer < CHAT_PEER_OFFSET;

/** VK's event_id is the redelivery key (V4); very old API versions lack it. */
function dedupeKey(envelope: VkEnvelope, fallback: string): string {
  return envelope.event_id && envelope.event_id.length > 0 ? envelope.event_id : fallback;
}

/**
 * Without event_id, message ids and a date, a redelivery is known by its content:
 * VK sends the same object again, so its digest is the same (the clock is not).
 */
function contentKey(envelope: VkEnvelope): string {
  return createHash("sha256").update(stringify(envelope.object)).digest("base64url").slice(0, 22);
}

function messageNew(envelope: VkEnvelope, now: number): Omit<VkUpdate, "envelope"> {
  const parsed = MessageNewSchema.safeParse(envelope.object);
  if (!parsed.success) return { events: [], skipped: "message_new without a readable message" };
  const { message: m, client_info: info } = parsed.data;
  if (!isPrivatePeer(m.peer_id) || m.from_id <= 0 || m.out === 1) {
    return { events: [], skipped: "not a private incoming message" };
  }
  const platformMessageId = String(m.id || m.conversation_message_id || 0);
  const at = m.date !== undefined ? m.date * 1000 : now;
  const when = m.date !== undefined ? String(at) : contentKey(envelope);
  const event: InboundMessage = {
    type: "message",
    channel: "vk",
    chatId: String(m.peer_id),
    userId: String(m.from_id),
    dedupeKey: dedupeKey(envelope, platformMessageId !== "0" ? `msg:${m.peer_id}:${platformMessageId}:${when}` : `msg:${m.peer_id}:${contentKey(envelope)}`),
    platformMessageId,
    at,
  };
  if (m.text !== undefined && m.text !== "") event.text = m.text;
  applyPayload(event, m.payload);

  const source = sourceByDropping(m.ref);
  if (source) event.source = source;
  const attachments = (m.attachments ?? []).map(parseAttachment).filter((a): a is Attachment => a !== null);
  if (attachments.length > 0) event.attachments = attachments;
  if (m.geo) event.location = { lat: m.geo.coordinates.latitude, lon: m.geo.coordinates.longitude };

  const hints: Record<string, string | number | boolean> = {};
  if (info) {
    hints.vkKeyboard = info.keyboard === true;
    hints.vkInline = info.inline_keyboard === true;
    hints.vkCallback = (info.button_actions ?? []).includes("callback");
    const locale = info.lang_id === undefined ? undefined : LANGS[info.lang_id];
    if (locale) event.locale = locale;
  }
  if (m.ref_source) hints.vkRefSource = m.ref_source.slice(0, 64);
  if (Object.keys(hints).length > 0) event.hints = hints;
  return { events: [event] };
}

/** VK lang_id (client_info) → language tag. */
const LANGS: Record<number, string> = { 0: "ru", 1: "uk", 2: "be", 3: "en", 4: "es", 5: "fi", 6: "de", 7: "it" };

/**
 * Button payloads. Our keyboards send {"b": id}; VK's own Start button sends
 * {"command":"start"}; anything else (keyboards from another bot version, the
 * community's menu) is passed on raw so a flow can still match it.
 */
function applyPayload(event: InboundMessage, raw: string | undefined): void {
  if (raw === undefined || raw === "") return;
  const value = jsonOrUndefined(raw);
  if (isRecord(value)) {
    if (typeof value.b === "string" && value.b !== "") {
      event.buttonId = value.b;
      return;
    }
    if (value.command === "start") {
      event.text = "/start";
      return;
    }
  }
  event.buttonId = raw;
}

const SizeSchema = z.object({
  url: z.string(),
  width: z.number().optional().catch(undefined),
  height: z.number().optional().catch(undefined),
  type: z.string().optional().catch(undefined),
});
const OwnedSchema = z.object({
  id: vkId.optional().catch(undefined),
  owner_id: vkId.optional().catch(undefined),
  access_key: z.string().optional().catch(undefined),
});
const PhotoSchema = OwnedSchema.extend({
  sizes: z.array(SizeSchema.catch({ url: "" })).optional().catch(undefined),
  orig_photo: SizeSchema.optional().catch(undefined),
});
const DocSchema = OwnedSchema.extend({
  url: z.string().optional().catch(undefined),
  title: z.string().optional().catch(undefined),
  ext: z.string().optional().catch(undefined),
});
const AudioMessageSchema = OwnedSchema.extend({
  link_mp3: z.string().optional().catch(undefined),
  link_ogg: z.string().optional().catch(undefined),
});
const AudioSchema = OwnedSchema.extend({ url: z.string().optional().catch(undefined) });
const StickerSchema = z.object({
  sticker_id: vkId.optional().catch(undefined),
  images: z.array(SizeSchema.catch({ url: "" })).optional().catch(undefined),
});
const AttachmentSchema = z.object({ type: z.string() }).catchall(z.unknown());

/** VK's attachment address: photo-1_2_key. */
function vkFileId(kind: string, o: z.infer<typeof OwnedSchema>): string | undefined {
  if (o.id === undefined || o.owner_id === undefined) return undefined;
  return `${kind}${o.owner_id}_${o.id}${o.access_key ? `_${o.access_key}` : ""}`;
}

function largest(sizes: z.infer<typeof SizeSchema>[] | undefined): string | undefined {
  let best: { url: string; area: number } | undefined;
  for (const s of sizes ?? []) {
    if (s.url === "") continue;
    const area = (s.width ?? 0) * (s.height ?? 0);
    if (!best || area >= best.area) best = { url: s.url, area };
  }
  return best?.url;
}

function withDefined(a: Attachment): Attachment {
  for (const key of Object.keys(a) as (keyof Attachment)[]) if (a[key] === undefined) delete a[key];
  return a;
}

function parseAttachment(raw: unknown): Attachment | null {
  const head = AttachmentSchema.safeParse(raw);
  if (!head.success) return null;
  const { type } = head.data;
  const body = head.data[type];
  switch (type) {
    case "photo": {
      const p = PhotoSchema.safeParse(body);
      if (!p.success) return { kind: "photo" };
      return withDefined({ kind: "photo", url: p.data.orig_photo?.url || largest(p.data.sizes), fileId: vkFileId("photo", p.data) });
    }
    case "doc": {
      const d = DocSchema.safeParse(body);
      if (!d.success) return { kind: "document" };
      return withDefined({ kind: "document", url: d.data.url, name: d.data.title, fileId: vkFileId("doc", d.data) });
    }
    case "audio_message": {
      const a = AudioMessageSchema.safeParse(body);
      if (!a.success) return { kind: "audio" };
      return withDefined({ kind: "audio", url: a.data.link_mp3 ?? a.data.link_ogg, fileId: vkFileId("doc", a.data) });
    }
    case "audio": {
      const a = AudioSchema.safeParse(body);
      if (!a.success) return { kind: "audio" };
      return withDefined({ kind: "audio", url: a.data.url || undefined, fileId: vkFileId("audio", a.data) });
    }
    case "video": {
      const v = OwnedSchema.safeParse(body);
      return withDefined({ kind: "video", fileId: v.success ? vkFileId("video", v.data) : undefined });
    }
    case "sticker": {
      const s = StickerSchema.safeParse(body);
      if (!s.success) return { kind: "sticker" };
      return withDefined({
        kind: "sticker",
        url: largest(s.data.images),
        fileId: s.data.sticker_id === undefined ? undefined : String(s.data.sticker_id),
      });
    }
    default:
      return { kind: "other", name: type.slice(0, 64) };
  }
}

function messageEvent(envelope: VkEnvelope, now: number): Omit<VkUpdate, "envelope"> {
  const parsed = MessageEventSchema.safeParse(envelope.object);
  if (!parsed.success) return { events: [], skipped: "message_event without user_id/peer_id/event_id" };
  const o = parsed.data;
  const answer: VkEventAnswer = { event_id: o.event_id, user_id: o.user_id, peer_id: o.peer_id };
  if (!isPrivatePeer(o.peer_id) || o.user_id <= 0) return { events: [], answer, skipped: "not a private dialog" };
  const payload = typeof o.payload === "string" ? jsonOrUndefined(o.payload) : o.payload;
  const buttonId = isRecord(payload) && typeof payload.b === "string" && payload.b !== "" ? payload.b : stringify(o.payload);
  const event: InboundMessage = {
    type: "message",
    channel: "vk",
    chatId: String(o.peer_id),
    userId: String(o.user_id),
    dedupeKey: dedupeKey(envelope, `evt:${o.event_id}`),
    platformMessageId: o.conversation_message_id !== undefined ? String(o.conversation_message_id) : o.event_id,
    at: now,
  };
  if (buttonId !== "") event.buttonId = buttonId;
  return { events: [event], answer };
}

function reachability(envelope: VkEnvelope, now: number): Omit<VkUpdate, "envelope"> {
  const parsed = UserIdSchema.safeParse(envelope.object);
  if (!parsed.success || parsed.data.user_id <= 0) return { events: [], skipped: `${envelope.type} without user_id` };
  const id = String(parsed.data.user_id);
  const allowed = envelope.type === "message_allow";
  return {
    events: [
      {
        type: "reachability",
        channel: "vk",
        chatId: id,
        userId: id,
        dedupeKey: dedupeKey(envelope, `${envelope.type}:${id}:${contentKey(envelope)}`),
        at: now,
        reachable: allowed,
        optIn: allowed,
      },
    ],
  };
}

function stringify(value: unknown): string {
  if (value === undefined || value === null) return "";
  if (typeof value === "string") return value;
  try {
    return JSON.stringify(value) ?? "";
  } catch {
    return "";
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
