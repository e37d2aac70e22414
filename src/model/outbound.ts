import type { Channel } from "./channel.ts";

/** A one-tap answer. `id` comes back as InboundMessage.buttonId. */
export interface Choice {
  id: string;
  label: string;
  description?: string;
}

/** An order to pay online (Telegram payments): lines in kopecks that sum to the order's total. */
export interface Invoice {
  orderId: string;
  title: string;
  description: string;
  /** comes back in pre_checkout_query / successful_payment: the order id */
  payload: string;
  currency: "RUB";
  prices: { label: string; amount: number }[];
}

/**
 * What the engine says, channel-neutral. The renderer turns it into RenderedParts
 * that fit the channel (see src/render).
 */
export interface OutboundMessage {
  text: string;
  /** one-tap answers; the renderer picks buttons, a list or numbered text */
  choices?: Choice[];
  /** label of the button that opens a list (WhatsApp) */
  listLabel?: string;
  /** a photo by URL, text as caption */
  photoUrl?: string;
  /** show the channel's share-my-phone button */
  askPhone?: { label: string };
  /** hide a reply keyboard left from askPhone */
  removeKeyboard?: boolean;
  /**
   * WhatsApp template to send instead when the 24-hour window is closed
   * (name + body parameters); without it the message is held for staff.
   */
  template?: { name: string; language: string; params: string[] };
  /** an invoice after the text (Telegram); other channels get a payment link instead */
  invoice?: Invoice;
}

/**
 * One platform message, already within the channel's limits. Adapters map this
 * to exactly one API call (plus callback answers etc. that carry no content).
 */
export interface RenderedPart {
  text: string;
  /** inline buttons in rows; ids within the channel's byte limit */
  buttons?: Choice[][];
  /** a list picker (WhatsApp) */
  list?: { buttonLabel: string; rows: Choice[] };
  photoUrl?: string;
  askPhone?: { label: string };
  removeKeyboard?: boolean;
  template?: { name: string; language: string; params: string[] };
  /** sent as an invoice (Telegram sendInvoice), text before it as its own message */
  invoice?: Invoice;
  /** a photo failed on the platform: this part is the card without it (never dropped) */
  photoDropped?: boolean;
}

export type OutboxStatus = "pending" | "sent" | "held" | "dead";

/** A RenderedPart waiting in the outbox, with what the sender needs to deliver it once. */
export interface OutboxItem {
  /** globally unique; adapters derive idempotency keys from it (VK random_id) */
  id: string;
  channel: Channel;
  chatId: string;
  conversationKey: string;
  contactId: string;
  /** order within the conversation: the sender never overtakes a lower seq */
  seq: number;
  part: RenderedPart;
  /** when the customer last wrote on this channel (WhatsApp 24-hour window) */
  customerLastInboundAt: number | null;
  /** channel hints from the customer's last message (e.g. VK keyboard support) */
  hints?: Record<string, string | number | boolean>;
  createdAt: number;
  attempts: number;
  /** epoch ms before which the sender must not try */
  notBefore: number;
  status: OutboxStatus;
  lastError?: string;
  platformMessageIds?: string[];
  /** platform delivery status (WhatsApp): sent / delivered / read / failed */
  deliveryStatus?: string;
  /**
   * not stored: set on an item handed out by a lease that booked its send in the
   * channel's shared budget (SendBudget), the wall time its slot comes
   */
  sendAt?: number;
}
