import type { InboundEvent } from "../../model/inbound.ts";
import type { TurnContext } from "./step.ts";

/**
 * The inbound journal: what came in, deduped, one conversation's entries handed out in
 * order.
 *
 * Guarantees the pipeline relies on:
 * - enqueue: the dedupe check and the journal append are one write.
 * - claimInbound: at most one entry per conversation is out at a time, always the
 *   oldest pending one of that conversation; a claim expires after leaseMs so a
 *   dead worker's entry is taken again.
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

/** writing events in (webhooks, timers, staff writes that go through the bot) */
export interface EnqueuePort {
  enqueue(events: InboundEvent[]): Promise<EnqueueOutcome[]>;
}

export interface JournalPort extends EnqueuePort {
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
}
