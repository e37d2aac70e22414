import type { Channel } from "../model/channel.ts";
import type { InboundEvent } from "../model/inbound.ts";
import type { OutboxItem, OutboxStatus } from "../model/outbound.ts";
import type { Audience, Contact, Conversation, Order, StageKey, Touchpoint } from "../model/domain.ts";
import type { OrderStatusName } from "../model/inbound.ts";
import type { Logger } from "pino";
import type { EventBus } from "../events/bus.ts";
import type { KeyValuePort } from "./kv.ts";

/**
 * The one port every store implements (embedded SQLite, Redis).
 * test/store-contract.ts is the suite each implementation must pass.
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
  /** what the step reads, when the write that leased the entry read it too (never stored) */
  turn?: TurnContext;
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

/**
 * The funnel's input in columns: contacts numbered 0..contacts-1 (a store may leave
 * numbers unused: a contact with no stage in the period counts nowhere), and per
 * stage each contact's first-reached time when it falls in the period (NaN if not).
 */
export interface StageColumns {
  contacts: number;
  /** per contact number: where the contact came from (undefined: direct) */
  sources: (string | undefined)[];
  at: Record<StageKey, Float64Array>;
}

/**
 * Sends per channel across all instances (GCRA: one timestamp per channel). A store
 * with a budget books each item's send when it leases the item out, in the same
 * script, and hands it out with `sendAt`; an item whose slot is further away than
 * `maxWaitMs` is not leased until then. The per-chat limit stays in each process: one
 * conversation's replies go out one at a time, mostly from the instance that sent the
 * one before.
 */
export interface SendBudget {
  /** the channels to book sends for, at `perSecond` with bursts of `burst` */
  configure(limits: Partial<Record<Channel, { perSecond: number; burst: number }>>, maxWaitMs: number): void;
  /** the platform said "too many requests": no instance sends on `channel` before `until` */
  pause(channel: Channel, until: number): Promise<void>;
}

export interface ContactQuery {
  audience?: Audience;
  /** balance below this (at-risk customers) */
  balanceBelow?: number;
  limit?: number;
}

/** a lease taken for the caller as part of another write (saves the claim round trip) */
export interface OutboxLease {
  leaseMs: number;
  /** wall clock */
  now: number;
}

export interface InboundLease {
  workerId: string;
  leaseMs: number;
  now: number;
  /** claim at most this many (the worker's free slots) */
  max: number;
  /**
   * also read each leased entry's TurnContext (with this many orders) in the same
   * round trip, where the store can (JournalEntry.turn)
   */
  turnOrders?: number;
}

export interface EnqueueResult {
  outcomes: EnqueueOutcome[];
  /** entries that were the only live one of their conversation, leased to the caller */
  claimed: JournalEntry[];
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

export interface RetryOptions {
  /** default true; false for rate-limit waits, which say nothing about the message */
  countAttempt?: boolean;
}

export interface Store extends KeyValuePort {
  readonly kind: "sqlite" | "redis";

  // ---- inbound journal -------------------------------------------------------
  enqueue(events: InboundEvent[]): Promise<EnqueueOutcome[]>;
  /**
   * enqueue, and in the same write lease to the caller each new entry that is the only
   * live one of its conversation (the common case: nobody is working on that chat),
   * up to lease.max — the worker starts on it without a claim round trip
   */
  enqueueAndClaim(events: InboundEvent[], lease: InboundLease): Promise<EnqueueResult>;
  claimInbound(workerId: string, max: number, leaseMs: number, now: number): Promise<JournalEntry[]>;
  /** give an entry back after a failure; after maxAttempts it is parked as dead */
  releaseInbound(entryId: string, error: string, maxAttempts: number): Promise<void>;
  /** pending + claimed entries (for readiness/drain checks and tests) */
  pendingInbound(): Promise<number>;
  deadInbound(limit: number): Promise<{ entry: JournalEntry; error: string }[]>;
  /**
   * staff "process again" (the cause is fixed): a dead entry goes back to its
   * conversation's queue, behind what waits there now, with attempts reset and a new
   * id; null when no dead entry has that id
   */
  retryDeadInbound(entryId: string): Promise<JournalEntry | null>;
  /** staff "dismiss": a dead entry is dropped (its dedupe key stays); false when no dead entry has that id */
  discardDeadInbound(entryId: string): Promise<boolean>;

  // ---- contacts and conversations -------------------------------------------
  getConversation(key: string): Promise<Conversation | null>;
  listConversations(filter: { inHandoff?: boolean; contactId?: string; limit?: number }): Promise<Conversation[]>;
  getContact(id: string): Promise<Contact | null>;
  /**
   * the contact that stands for `id`'s person now: mergedInto pointers followed (at most
   * MAX_MERGE_HOPS, store/shared.ts), null when none; findContactByPhone,
   * findContactByReferralCode and loadTurn's contact go the same walk
   */
  liveContact(id: string): Promise<Contact | null>;
  /** the live contact a platform identity stands for */
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

  /**
   * apply one engine step atomically; with leases, the same write also leases the
   * conversation's next journal entry and the outbox heads that are due now
   */
  commitStep(commit: StepCommit, leases?: CommitLeases): Promise<CommitResult>;
  /** the conversation, the contact of (channel, userId) and its latest orders, read together */
  loadTurn(conversationKey: string, channel: Channel, userId: string, ordersLimit: number): Promise<TurnContext>;

  // ---- touchpoints, orders ----------------------------------------------------
  listTouchpoints(contactId: string, limit?: number): Promise<Touchpoint[]>;
  getOrder(id: string): Promise<Order | null>;
  listOrders(filter: { contactId?: string; status?: OrderStatusName; limit?: number }): Promise<Order[]>;

  // ---- outbox -----------------------------------------------------------------
  claimOutbox(max: number, leaseMs: number, now: number): Promise<OutboxItem[]>;
  /** with a lease, the same write leases the conversation's next outbox item if it is due */
  markSent(id: string, platformMessageIds: string[], now: number, lease?: OutboxLease): Promise<OutboxItem[]>;
  /** try again at notBefore; a wait the platform asked for (429) does not count as a failed attempt */
  markRetry(id: string, notBefore: number, error: string, opts?: RetryOptions): Promise<void>;
  /** give up: "dead" after repeated failures, "held" for staff (e.g. WhatsApp window closed) */
  markFailed(id: string, status: Extract<OutboxStatus, "dead" | "held">, error: string): Promise<void>;
  /** put a held or dead item back in the queue (staff "send again") */
  requeueOutbox(id: string, now: number): Promise<void>;
  findOutboxByPlatformId(channel: Channel, platformMessageId: string): Promise<OutboxItem | null>;
  setDeliveryStatus(id: string, status: string): Promise<void>;
  /**
   * within a conversation in seq order; across conversations in insertion order, but
   * sent items in the order they were sent
   */
  listOutbox(filter: { status?: OutboxStatus; conversationKey?: string; limit?: number }): Promise<OutboxItem[]>;
  /**
   * Retention: delete sent items sent before `before`, oldest first, with their
   * platform-id lookups; pending, held and dead items are never deleted. Looks at up to
   * `max` candidates per call; `done` is false while more may be due.
   */
  pruneSent(before: number, max: number): Promise<{ deleted: number; done: boolean }>;
  /**
   * A channel's send budget shared by every instance on this store, where several can
   * run (Redis); absent on a store only one process uses (SQLite keeps it in-process).
   */
  readonly sendBudget?: SendBudget;

  // ---- timers -----------------------------------------------------------------
  /** timers due at `now` that were not yet handed to the journal */
  dueTimers(now: number, max: number): Promise<DueTimer[]>;
  /** the timer's event is in the journal; do not hand it out again */
  markTimerFired(conversationKey: string, name: string, token: string): Promise<void>;

  // ---- analytics ----------------------------------------------------------------
  /** the first-reached stages of live contacts with `at` in [from, to), as columns for the funnel (no object per entry) */
  stageColumns(from: number, to: number, audience?: Audience): Promise<StageColumns>;
  /** where conversations currently stand, for drop-off */
  stepCounts(filter: { audience?: Audience; idleSince?: number }): Promise<{ flow: string; step: string; count: number }[]>;

  // ---- lifecycle ------------------------------------------------------------------
  /**
   * The live-event bus across every instance sharing this store (Redis: a capped
   * stream). A store without one serves a single process: the app uses an in-process bus.
   */
  openEvents?(log: Logger): EventBus;
  ping(): Promise<void>;
  close(): Promise<void>;
}
