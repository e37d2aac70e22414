import type { Channel } from "./channel.ts";

/**
 * What adapters hand to the engine. No platform type crosses this line: each adapter
 * parses its webhook into these events, one per message of a batch.
 *
 * `dedupeKey` is unique per platform delivery (Telegram update_id, WhatsApp wamid,
 * VK event_id, MAX mid / callback_id, web client message id): the same key twice is processed once.
 */
interface EventBase {
  channel: Channel;
  /** where replies go: Telegram chat id, WhatsApp wa_id, VK peer_id, MAX dialog chat_id, web session id */
  chatId: string;
  /** the platform's id of the person (same as chatId in private chats) */
  userId: string;
  dedupeKey: string;
  /** epoch milliseconds */
  at: number;
}

export interface Attachment {
  kind: "photo" | "document" | "audio" | "video" | "sticker" | "other";
  /** a URL when the platform gives one, else the platform's file id */
  url?: string;
  fileId?: string;
  name?: string;
  mimeType?: string;
}

export interface InboundMessage extends EventBase {
  type: "message";
  /** the platform's id of this message (for replies, read receipts) */
  platformMessageId: string;
  text?: string;
  /** id of the pressed button (ours, as we sent it) */
  buttonId?: string;
  /** a phone shared with the contact button, digits only */
  phone?: string;
  location?: { lat: number; lon: number };
  attachments?: Attachment[];
  /** deep-link payload: /start payload, VK ref, MAX bot_started payload, web ?src= */
  source?: string;
  /** language hint from the platform (e.g. Telegram language_code) */
  locale?: string;
  profileName?: string;
  /** channel-specific facts a renderer needs later (e.g. VK client_info) */
  hints?: Record<string, string | number | boolean>;
}

/** Delivery status of something we sent (WhatsApp statuses). */
export interface InboundStatus extends EventBase {
  type: "status";
  platformMessageId: string;
  status: "sent" | "delivered" | "read" | "failed";
  error?: { code: number; title: string };
}

/** The customer blocked/unblocked the bot or allowed/denied messages. */
export interface InboundReachability extends EventBase {
  type: "reachability";
  reachable: boolean;
  /** VK message_allow/deny is also a broadcast opt-in/out */
  optIn?: boolean;
}

/** Events the service itself puts on a conversation's queue. */
export interface InboundTimer extends EventBase {
  type: "timer";
  /** timer name in conversation.timers */
  name: string;
  token: string;
}

export interface InboundSystem extends EventBase {
  type: "system";
  /** e.g. order status changed by staff, handoff returned to the bot */
  event:
    | { kind: "order_status"; orderId: string; status: OrderStatusName }
    /** resolved: staff closed the case (SLA resolution), not just returned the chat */
    | { kind: "handback"; by: string; step?: string; resolved?: boolean }
    | { kind: "staff_reply"; by: string; text: string }
    | { kind: "handoff_take"; by: string }
    /** staff pages (src/engine/staff-events.ts): never sent to the customer */
    | { kind: "staff_note"; by: string; text: string }
    | { kind: "assign"; by: string; to: string }
    | { kind: "resolve"; by: string }
    | { kind: "offline"; by: string; summary: string; via: string; moment?: "good" | "bad"; at?: number }
    /** a contact this one referred placed a first order */
    | { kind: "referral_reward"; friendName: string; bonus: number; orderId: string }
    /** say this as it is: a reply another channel could not deliver, or an offer to move channels (src/moves) */
    | { kind: "relay"; text: string; photoUrl?: string; from: Channel; why: "undeliverable" | "move_offer" }
    /** an order paid online (Telegram successful_payment); amount in kopecks */
    | { kind: "payment"; orderId: string; amount: number; currency: string; chargeId: string; providerChargeId?: string; provider: string }
    /** staff noted a refund made at the payment provider */
    | { kind: "order_refund"; orderId: string; note: string; by: string };
}

export type OrderStatusName = "placed" | "confirmed" | "shipped" | "delivered" | "cancelled";

export type InboundEvent =
  | InboundMessage
  | InboundStatus
  | InboundReachability
  | InboundTimer
  | InboundSystem;

/** One conversation per channel chat. */
export function conversationKey(e: { channel: Channel; chatId: string }): string {
  return `${e.channel}:${e.chatId}`;
}

/** The store's dedupe key is scoped by channel, so ids from two platforms never collide. */
export function journalKey(e: { channel: Channel; dedupeKey: string }): string {
  return `${e.channel}:${e.dedupeKey}`;
}
