import type { Touchpoint, TouchpointKind } from "../model/domain.ts";

/**
 * What a person could be looking at changed: a message in or out, a handoff, a take,
 * a status, a score. The worker publishes every committed touchpoint, the sender every
 * reply that left; staff features publish alerts. Pages subscribe (the inbox's event
 * stream, the web chat's long-poll) instead of re-reading the store on a timer.
 *
 * Live, not the record: the journey is in the store; a subscriber that missed events
 * (a page reconnecting) passes the last cursor it saw and gets what the capped log
 * still holds, then reads the store for anything older.
 */
export type DeskEventKind = TouchpointKind | "sent" | "alert";

export interface DeskEvent {
  /** opaque and increasing within one log; hand it back to resume without missing anything */
  cursor: string;
  at: number;
  kind: DeskEventKind;
  conversationKey?: string;
  contactId?: string;
  /** a short human line (the message, the score), cut to SUMMARY_MAX characters */
  summary?: string;
  touchpoint?: Touchpoint;
  data?: Record<string, unknown>;
}

export type NewDeskEvent = Omit<DeskEvent, "cursor">;
export type Unsubscribe = () => void;

export interface EventBus {
  /** never throws: a live feed that fails must not fail the write it reports */
  publish(events: NewDeskEvent[]): void;
  /**
   * Live events; with `after`, the missed ones still in the log first. A page that must
   * not miss what happens between reading the store and subscribing takes head() first
   * and subscribes after it (without a cursor, "now" is when the bus starts reading).
   */
  subscribe(listener: (e: DeskEvent) => void, opts?: { after?: string }): Unsubscribe;
  /** the newest cursor, for a page that starts reading now */
  head(): Promise<string>;
  close(): Promise<void>;
}

export const SUMMARY_MAX = 300;
/** how many events the log keeps for subscribers that resume */
export const LOG_MAX = 10_000;

/** the event a committed touchpoint makes (lean: pages fetch the details they show) */
export function touchpointEvent(tp: Touchpoint): NewDeskEvent {
  return {
    at: tp.at,
    kind: tp.kind,
    ...(tp.conversationKey ? { conversationKey: tp.conversationKey } : {}),
    contactId: tp.contactId,
    summary: tp.summary.length > SUMMARY_MAX ? `${tp.summary.slice(0, SUMMARY_MAX - 1)}…` : tp.summary,
    touchpoint: tp,
  };
}

/** calls each listener, so one that throws cannot stop the others */
export function deliver(listeners: Iterable<(e: DeskEvent) => void>, e: DeskEvent, onError: (err: unknown) => void): void {
  for (const listener of listeners) {
    try {
      listener(e);
    } catch (err) {
      onError(err);
    }
  }
}
