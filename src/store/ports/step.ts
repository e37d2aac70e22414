import type { Channel } from "../../model/channel.ts";
import type { OutboxItem } from "../../model/outbound.ts";
import type { Contact, Conversation, Order, Touchpoint } from "../../model/domain.ts";
import type { InboundLease, JournalEntry } from "./journal.ts";
import type { OutboxLease } from "./outbox.ts";

/**
 * One engine step's read and write.
 *
 * commitStep: state, contacts, touchpoints, orders, outbox and "entry done" are one
 * write: a step is applied entirely or not at all.
 */
export interface StepCommit {
  /** the journal entry this step consumed (absent for API-driven writes) */
  entryId?: string;
  conversation?: Conversation;
  /** contacts whose state changed (the customer, a referrer…) */
  contacts: Contact[];
  touchpoints: Touchpoint[];
  orders: Order[];
  outbox: OutboxItem[];
}

export interface CommitLeases {
  /** lease the conversation's next journal entry, if one waits (max is ignored: at most one) */
  inbound?: InboundLease;
  /** lease the outbox heads of the conversations this step wrote to, where they are due */
  outbox?: OutboxLease;
}

export interface CommitResult {
  next: JournalEntry[];
  outbox: OutboxItem[];
}

/** what a step reads before it runs, in one go */
export interface TurnContext {
  conversation: Conversation | null;
  /** the contact the chat's identity points to now (merges followed) */
  contact: Contact | null;
  /** that contact's latest orders, newest first */
  orders: Order[];
}

/** the one write of a step (also API-driven writes: staff, money, moves) */
export interface CommitPort {
  /**
   * apply one engine step atomically; with leases, the same write also leases the
   * conversation's next journal entry and the outbox heads that are due now
   */
  commitStep(commit: StepCommit, leases?: CommitLeases): Promise<CommitResult>;
}

export interface StepPort extends CommitPort {
  /** the conversation, the contact of (channel, userId) and its latest orders, read together */
  loadTurn(conversationKey: string, channel: Channel, userId: string, ordersLimit: number): Promise<TurnContext>;
}
