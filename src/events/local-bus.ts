import { randomBytes } from "node:crypto";
import type { Logger } from "pino";
import { type DeskEvent, type EventBus, LOG_MAX, type NewDeskEvent, type Unsubscribe, deliver } from "./bus.ts";

/**
 * The event bus of the embedded store, which one process serves: events go straight
 * to this process's subscribers, and a ring of the last LOG_MAX is kept for those that
 * resume. Cursors carry this process's boot id, so a cursor from before a restart
 * replays nothing (the page reads the store again) instead of the wrong events.
 */
export class LocalEventBus implements EventBus {
  private readonly boot = randomBytes(4).toString("hex");
  private seq = 0;
  private readonly ring: DeskEvent[] = [];
  private readonly listeners = new Set<(e: DeskEvent) => void>();

  constructor(private readonly log?: Logger) {}

  publish(events: NewDeskEvent[]): void {
    for (const e of events) {
      const event: DeskEvent = { ...e, cursor: `${this.boot}-${++this.seq}` };
      this.ring.push(event);
      // trimmed by a quarter at a time: a splice per event would move 10,000 entries each time
      if (this.ring.length >= LOG_MAX + LOG_MAX / 4) this.ring.splice(0, this.ring.length - LOG_MAX);
      deliver(this.listeners, event, (err) => this.log?.error({ err }, "event listener failed"));
    }
  }

  subscribe(listener: (e: DeskEvent) => void, opts: { after?: string } = {}): Unsubscribe {
    const from = this.missedFrom(opts.after);
    for (let i = from; i < this.ring.length; i++) listener(this.ring[i]!);
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  async head(): Promise<string> {
    return `${this.boot}-${this.seq}`;
  }

  async close(): Promise<void> {
    this.listeners.clear();
  }

  /** index of the first event after `after` in the ring (the ring's end when none) */
  private missedFrom(after: string | undefined): number {
    if (!after) return this.ring.length;
    const m = /^([0-9a-f]{8})-(\d+)$/.exec(after);
    if (!m || m[1] !== this.boot) return this.ring.length;
    const seq = Number(m[2]);
    const first = this.ring.length > 0 ? this.seqOf(this.ring[0]!) : this.seq + 1;
    return Math.max(0, Math.min(this.ring.length, seq - first + 1));
  }

  private seqOf(e: DeskEvent): number {
    return Number(e.cursor.slice(this.boot.length + 1));
  }
}
