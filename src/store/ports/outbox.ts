import type { Channel } from "../../model/channel.ts";
import type { OutboxItem, OutboxStatus } from "../../model/outbound.ts";

/**
 * The outbox: replies waiting to go out, their delivery, retention.
 *
 * claimOutbox: per conversation only the lowest pending seq is handed out.
 */

/** a lease taken for the caller as part of another write (saves the claim round trip) */
export interface OutboxLease {
  leaseMs: number;
  /** wall clock */
  now: number;
}

export interface RetryOptions {
  /** default true; false for rate-limit waits, which say nothing about the message */
  countAttempt?: boolean;
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

export interface OutboxFilter {
  status?: OutboxStatus;
  conversationKey?: string;
  limit?: number;
}

/** handing items out */
export interface OutboxClaimPort {
  claimOutbox(max: number, leaseMs: number, now: number): Promise<OutboxItem[]>;
}

/** what the sender writes about an item it sent or tried to send */
export interface SendResultPort {
  /** with a lease, the same write leases the conversation's next outbox item if it is due */
  markSent(id: string, platformMessageIds: string[], now: number, lease?: OutboxLease): Promise<OutboxItem[]>;
  /** try again at notBefore; a wait the platform asked for (429) does not count as a failed attempt */
  markRetry(id: string, notBefore: number, error: string, opts?: RetryOptions): Promise<void>;
  /** give up: "dead" after repeated failures, "held" for staff (e.g. WhatsApp window closed) */
  markFailed(id: string, status: Extract<OutboxStatus, "dead" | "held">, error: string): Promise<void>;
  /**
   * A channel's send budget shared by every instance on this store, where several can
   * run (Redis); absent on a store only one process uses (SQLite keeps it in-process).
   */
  readonly sendBudget?: SendBudget;
}

/** delivery receipts: the platform's message id back to our item */
export interface DeliveryPort {
  findOutboxByPlatformId(channel: Channel, platformMessageId: string): Promise<OutboxItem | null>;
  setDeliveryStatus(id: string, status: string): Promise<void>;
}

/** what staff see and do with the outbox */
export interface OutboxReads {
  /**
   * within a conversation in seq order; across conversations in insertion order, but
   * sent items in the order they were sent
   */
  listOutbox(filter: OutboxFilter): Promise<OutboxItem[]>;
  /** put a held or dead item back in the queue (staff "send again") */
  /** answers whether an item was held or dead and is pending again (false: unknown id or not parked) */
  requeueOutbox(id: string, now: number): Promise<boolean>;
}

/** retention */
export interface PrunePort {
  /**
   * Retention: delete sent items sent before `before`, oldest first, with their
   * platform-id lookups; pending, held and dead items are never deleted. Looks at up to
   * `max` candidates per call; `done` is false while more may be due.
   */
  pruneSent(before: number, max: number): Promise<{ deleted: number; done: boolean }>;
}

export interface OutboxPort extends OutboxClaimPort, SendResultPort, DeliveryPort, OutboxReads, PrunePort {}
