import { z } from "zod";
import type { Attachment, InboundEvent, InboundMessage, InboundStatus } from "../../src/model/inbound.ts";
import { phoneDigits } from "../../adapters/shared/phone.ts";
import { sourceByUnderscoring } from "../../adapters/shared/start-source.ts";
import { WhatsAppPayloadError } from "./errors.ts";

/**
 * Webhook payload → InboundEvents. Meta batches up to 1000 updates per POST (W6), so
 * every entry → change → message/status is walked. Validation is loose on purpose:
 * unknown fields pass, and one malformed message is skipped instead of losing the
 * whole batch (Meta would redeliver the batch for 7 days, W5).
 *
 * Message types:
 * - text, interactive (button_reply / list_reply), button (template quick reply),
 *   location, contacts, image/document/audio/video/sticker: mapped.
 * - reaction and system (number changed) are ignored: they are not something the
 *   customer asked.
 * - anything else (unsupported, order, interactive nfm_reply, request_welcome, future
 *   types) becomes a message with no text and one attachment of kind "other", with
 *   `hints.waType`, so the engine can say it only reads text and the window still opens.
 * Statuses: sent/delivered/read/failed; "played" and unknown statuses are ignored.
 */

const Text = z.string();
const Timestamp = z.union([z.string(), z.number()]).transform((v, ctx) => {
  const n = typeof v === "number" ? v : /^\s*\d+(\.\d+)?\s*$/.test(v) ? Number(v) : Number.NaN;
  if (!Number.isFinite(n) || n < 0) {
    ctx.addIssue({ code: "custom", message: "timestamp is not a number of seconds" });
    return z.NEVER;
  }
  return Math.round(n * 1000);
});

const Envelope = z.looseObject({
  object: z.literal("whatsapp_business_account"),
  entry: z.array(
    z.looseObject({
      changes: z.array(z.looseObject({ field: z.string(), value: z.unknown() })).optional(),
    }),
  ),
});

const Value = z.looseObject({
  contacts: z.array(z.unknown()).optional(),
  messages: z.array(z.unknown()).optional(),
  statuses: z.array(z.unknown()).optional(),
});

const ContactSchema = z.looseObject({
  wa_id: Text,
  profile: z.looseObject({ name: Text.optional() }).optional(),
});

const Media = z.looseObject({
  id: Text.optional(),
  mime_type: Text.optional(),
  caption: Text.optional(),
  filename: Text.optional(),
});

const Reply = z.looseObject({ id: Text, title: Text.optional() });

const MessageSchema = z.looseObject({
  from: Text.min(1),
  id: Text.min(1),
  timestamp: Timestamp,
  type: Text,
  text: z.looseObject({ body: Text }).optional(),
  interactive: z
    .looseObject({
      type: Text.optional(),
      button_reply: Reply.optional(),
      list_reply: Reply.optional(),
    })
    .optional(),
  button: z.looseObject({ payload: Text.optional(), text: Text.optional() }).optional(),
  location: z.looseObject({ latitude: z.number(), longitude: z.number() }).optional(),
  contacts: z
    .array(
      z.looseObject({
        name: z.looseObject({ formatted_name: Text.optional(), first_name: Text.optional() }).optional(),
        phones: z.array(z.looseObject({ phone: Text.optional(), wa_id: Text.optional() })).optional(),
      }),
    )
    .optional(),
  image: Media.optional(),
  document: Media.optional(),
  audio: Media.optional(),
  video: Media.optional(),
  sticker: Media.optional(),
  referral: z
    .looseObject({
      source_id: Text.optional(),
      source_url: Text.optional(),
      source_type: Text.optional(),
      headline: Text.optional(),
      ctwa_clid: Text.optional(),
    })
    .optional(),
});
type WaMessage = z.infer<typeof MessageSchema>;

const StatusSchema = z.looseObject({
  id: Text.min(1),
  status: Text,
  timestamp: Timestamp,
  recipient_id: Text.min(1),
  errors: z.array(z.looseObject({ code: z.number(), title: Text.optional(), message: Text.optional() })).optional(),
});

const STATUSES = new Set<string>(["sent", "delivered", "read", "failed"]);
const MEDIA_KINDS = {
  image: "photo",
  document: "document",
  audio: "audio",
  video: "video",
  sticker: "sticker",
} as const satisfies Record<string, Attachment["kind"]>;
function isMediaType(t: string): t is keyof typeof MEDIA_KINDS {
  return Object.hasOwn(MEDIA_KINDS, t); // not `in`: "toString" is not a media type
}
const IGNORED_TYPES = new Set(["reaction", "system"]);

function referralSource(ref: NonNullable<WaMessage["referral"]>): string | undefined {
  const kind = ref.source_type && /^[a-z]+$/.test(ref.source_type) ? ref.source_type : "ad";
  const tail = ref.source_id ?? ref.source_url?.replace(/^https?:\/\//, "") ?? ref.headline;
  return tail ? sourceByUnderscoring(`${kind}_${tail}`) : undefined;
}

function toMessage(m: WaMessage, profileName: string | undefined): InboundMessage | null {
  if (IGNORED_TYPES.has(m.type)) return null;
  const ev: InboundMessage = {
    type: "message",
    channel: "whatsapp",
    chatId: m.from,
    userId: m.from,
    dedupeKey: m.id,
    platformMessageId: m.id,
    at: m.timestamp,
  };
  // The sender's number is always known on WhatsApp; the engine links contacts by it.
  const phone = phoneDigits(m.from);
  if (phone) ev.phone = phone;
  if (profileName) ev.profileName = profileName;
  if (m.referral) {
    const source = referralSource(m.referral);
    if (source) ev.source = source;
    if (m.referral.ctwa_clid) ev.hints = { ctwa_clid: m.referral.ctwa_clid };
  }

  const reply = m.interactive?.button_reply ?? m.interactive?.list_reply;
  if (m.type === "text" && m.text) {
    ev.text = m.text.body;
  } else if (m.type === "interactive" && reply) {
    ev.buttonId = reply.id;
    if (reply.title !== undefined) ev.text = reply.title;
  } else if (m.type === "button" && m.button && (m.button.payload || m.button.text)) {
    if (m.button.payload) ev.buttonId = m.button.payload;
    if (m.button.text !== undefined) ev.text = m.button.text;
  } else if (m.type === "location" && m.location) {
    ev.location = { lat: m.location.latitude, lon: m.location.longitude };
  } else if (m.type === "contacts" && m.contacts && m.contacts.length > 0) {
    // A shared card is someone else's number: it goes in the text, never in `phone`.
    ev.text = m.contacts
      .map((c) => {
        const name = c.name?.formatted_name ?? c.name?.first_name ?? "";
        const p = c.phones?.[0];
        return ["Контакт:", name, p?.phone ?? p?.wa_id ?? ""].filter((s) => s !== "").join(" ");
      })
      .join("\n");
  } else if (isMediaType(m.type) && m[m.type]) {
    const media = m[m.type]!;
    const att: Attachment = { kind: MEDIA_KINDS[m.type] };
    if (media.id) att.fileId = media.id;
    if (media.mime_type) att.mimeType = media.mime_type;
    if (media.filename) att.name = media.filename;
    ev.attachments = [att];
    if (media.caption) ev.text = media.caption;
  } else {
    ev.attachments = [{ kind: "other" }];
    ev.hints = { ...ev.hints, waType: m.type.slice(0, 64) };
  }
  return ev;
}

function toStatus(s: z.infer<typeof StatusSchema>): InboundStatus | null {
  if (!STATUSES.has(s.status)) return null;
  const ev: InboundStatus = {
    type: "status",
    channel: "whatsapp",
    chatId: s.recipient_id,
    userId: s.recipient_id,
    dedupeKey: `${s.id}:${s.status}`,
    at: s.timestamp,
    platformMessageId: s.id,
    status: s.status as InboundStatus["status"],
  };
  const err = s.errors?.[0];
  if (err) ev.error = { code: err.code, title: err.title ?? err.message ?? "" };
  return ev;
}

export interface ParsedWebhook {
  events: InboundEvent[];
  /** messages/statuses/changes that did not have the fields we need */
  skipped: number;
}

/** Like parseWhatsAppWebhook, also counting what was skipped (for logs). */
export function parseWhatsAppWebhookDetailed(body: unknown): ParsedWebhook {
  const env = Envelope.safeParse(body);
  if (!env.success) {
    const issue = env.error.issues[0];
    throw new WhatsAppPayloadError(
      `not a WhatsApp webhook payload: ${issue ? `${issue.path.join(".") || "(root)"}: ${issue.message}` : "invalid"}`,
    );
  }
  const events: InboundEvent[] = [];
  let skipped = 0;
  for (const entry of env.data.entry) {
    for (const change of entry.changes ?? []) {
      if (change.field !== "messages") continue; // other subscriptions are not ours
      const value = Value.safeParse(change.value);
      if (!value.success) {
        skipped++;
        continue;
      }
      const names = new Map<string, string>();
      for (const c of value.data.contacts ?? []) {
        const contact = ContactSchema.safeParse(c);
        if (contact.success && contact.data.profile?.name) names.set(contact.data.wa_id, contact.data.profile.name);
      }
      for (const raw of value.data.messages ?? []) {
        const m = MessageSchema.safeParse(raw);
        if (!m.success) {
          skipped++;
          continue;
        }
        const ev = toMessage(m.data, names.get(m.data.from));
        if (ev) events.push(ev);
      }
      for (const raw of value.data.statuses ?? []) {
        const s = StatusSchema.safeParse(raw);
        if (!s.success) {
          skipped++;
          continue;
        }
        const ev = toStatus(s.data);
        if (ev) events.push(ev);
      }
    }
  }
  return { events, skipped };
}

/**
 * Every message and status of a webhook POST body, in payload order.
 * Throws WhatsAppPayloadError (only) when the body is not a WABA envelope at all.
 */
export function parseWhatsAppWebhook(body: unknown): InboundEvent[] {
  return parseWhatsAppWebhookDetailed(body).events;
}
