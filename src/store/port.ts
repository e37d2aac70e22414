import type { Channel } from "../model/channel.ts";
import type { InboundEvent } from "../model/inbound.ts";
import type { OutboxItem, OutboxStatus } from "../model/outbound.ts";
import type { Audience, Contact, Conversation, Order, StageKey, Touchpoint } from "../model/domain.ts";
import type { OrderStatusName } from "../model/inbound.ts";

/**
 * The one port every store implements (embedded SQLite, Redis, in-memory for unit
 * tests). test/store-contract.ts is the suite each implementation must pass.
 *
 * Guarantees the pipeline relies on:
 * - enqueue: the dedupe check and the journal append are one write.
 * - claimInbound: at most one entry per conversation is out at a time, always the
 *   oldest pending one of that conversation; a claim expires after leaseMs so a
 *   dead worker's entry is taken again.
 * - commitStep: state, contacts, touchpoints, orders, outbox and "entry done" are one
 *   write: a step is applied entirely or not at all.
 * - claimOutbox: per conversation only the lowest pending seq is handed out.
 */
export interface JournalEntry {
  id: string;
  conversationKey: string;
  event: InboundEvent;
  enqueuedAt: number;
  attempts: number;
}

export type EnqueueOutcome = "queued" | "duplicate";

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

export interface DueTimer {
  conversationKey: string;
  channel: Channel;
  chatId: string;
  name: string;
  token: string;
  at: number;
}

export interface StageEntry {
  contactId: string;
  stage: StageKey;
  at: number;
  audience: Audience;
  source?: string;
}

export interface ContactQuery {
  audience?: Audience;
  /** balance below this (at-risk customers) */
  balanceBelow?: number;
  limit?: number;
}

export interface RetryOptions {
  /** default true; false for rate-limit waits, which say nothing about the message */
  countAttempt?: boolean;
}

export interface Store {
  readonly kind: "sqlite" | "redis" | "memory";

  // ---- inbound journal -------------------------------------------------------
  enqueue(events: InboundEvent[]): Promise<EnqueueOutcome[]>;
  claimInbound(workerId: string, max: number, leaseMs: number, now: number): Promise<JournalEntry[]>;
  /** give an entry back after a failure; after maxAttempts it is parked as dead */
  releaseInbound(entryId: string, error: string, maxAttempts: number): Promise<void>;
  /** pending + claimed entries (for readiness/drain checks and tests) */
  pendingInbound(): Promise<number>;
  deadInbound(limit: number): Promise<{ entry: JournalEntry; error: string }[]>;

  // ---- contacts and conversations -------------------------------------------
  getConversation(key: string): Promise<Conversation | null>;
  listConversations(filter: { inHandoff?: boolean; contactId?: string; limit?: number }): Promise<Conversation[]>;
  getContact(id: string): Promise<Contact | null>;
  findContactByIdentity(channel: Channel, userId: string): Promise<Contact | null>;
  findContactByPhone(phone: string): Promise<Contact | null>;
  findContactByReferralCode(code: string): Promise<Contact | null>;
  listContacts(query: ContactQuery): Promise<Contact[]>;
  /**
   * Fold `fromId` into `intoId` (same person found on two channels): identities,
   * touchpoints, orders, conversations and first-reached stages move over; `fromId`
   * keeps a `mergedInto` pointer.
   */
  mergeContacts(fromId: string, intoId: string): Promise<Contact>;

  /** apply one engine step atomically */
  commitStep(commit: StepCommit): Promise<void>;

  // ---- touchpoints, orders ----------------------------------------------------
  listTouchpoints(contactId: string, limit?: number): Promise<Touchpoint[]>;
  getOrder(id: string): Promise<Order | null>;
  listOrders(filter: { contactId?: string; status?: OrderStatusName; limit?: number }): Promise<Order[]>;

  // ---- outbox -----------------------------------------------------------------
  claimOutbox(max: number, leaseMs: number, now: number): Promise<OutboxItem[]>;
  markSent(id: string, platformMessageIds: string[], now: number): Promise<void>;
  /** try again at notBefore; a wait the platform asked for (429) does not count as a failed attempt */
  markRetry(id: string, notBefore: number, error: string, opts?: RetryOptions): Promise<void>;
  /** give up: "dead" after repeated failures, "held" for staff (e.g. WhatsApp window closed) */
  markFailed(id: string, status: Extract<OutboxStatus, "dead" | "held">, error: string): Promise<void>;
  /** put a held or dead item back in the queue (staff "send again") */
  requeueOutbox(id: string, now: number): Promise<void>;
  findOutboxByPlatformId(channel: Channel, platformMessageId: string): Promise<OutboxItem | null>;
  setDeliveryStatus(id: string, status: string): Promise<void>;
  listOutbox(filter: { status?: OutboxStatus; conversationKey?: string; limit?: number }): Promise<OutboxItem[]>;

  // ---- timers -----------------------------------------------------------------
  /** timers due at `now` that were not yet handed to the journal */
  dueTimers(now: number, max: number): Promise<DueTimer[]>;
  /** the timer's event is in the journal; do not hand it out again */
  markTimerFired(conversationKey: string, name: string, token: string): Promise<void>;

  // ---- analytics ----------------------------------------------------------------
  /** first-reached stage entries with `at` in [from, to) */
  stageEntries(from: number, to: number, audience?: Audience): Promise<StageEntry[]>;
  /** where conversations currently stand, for drop-off */
  stepCounts(filter: { audience?: Audience; idleSince?: number }): Promise<{ flow: string; step: string; count: number }[]>;

  // ---- lifecycle ------------------------------------------------------------------
  ping(): Promise<void>;
  close(): Promise<void>;
}
