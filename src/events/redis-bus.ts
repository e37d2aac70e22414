import type { Logger } from "pino";
import type { RedisLink } from "../store/redis-link.ts";
import { type DeskEvent, type EventBus, type NewDeskEvent, type Unsubscribe, deliver } from "./bus.ts";

/** stream entries kept (each holds one window's events) */
const STREAM_MAX = 5_000;
const BLOCK_MS = 1_000;

type StreamEntry = [id: string, fields: string[]];
type Position = [ms: number, seq: number, index: number];

/** "<stream id>/<index in the entry>" */
function cursorOf(id: string, index: number): string {
  return `${id}/${index}`;
}
function parseCursor(cursor: string | undefined): Position | undefined {
  const m = cursor ? /^(\d+)-(\d+)\/(\d+)$/.exec(cursor) : null;
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : undefined;
}
function after(a: Position, b: Position): boolean {
  return a[0] !== b[0] ? a[0] > b[0] : a[1] !== b[1] ? a[1] > b[1] : a[2] > b[2];
}

interface Subscriber {
  listener: (e: DeskEvent) => void;
  /** the newest event it has seen: nothing at or before it is delivered again */
  seen: Position;
  /** live events held while its missed ones are replayed */
  held?: DeskEvent[];
}

/**
 * The event bus across instances on Redis: a capped stream (`<prefix>:events`). Each
 * instance appends what it publishes in small batches (one XADD per turn of the event
 * loop, so a busy pipeline pays one command per turn, not one per event) and, while anyone
 * here subscribes, reads the stream on a connection of its own (XREAD BLOCK), so a
 * reply sent through instance A reaches a page served by instance B. Nothing is read
 * while nobody listens.
 */
export class RedisEventBus implements EventBus {
  private readonly key: string;
  private pending: NewDeskEvent[] = [];
  private flushTimer: NodeJS.Immediate | undefined;
  private flushing: Promise<void> = Promise.resolve();
  private readonly subscribers = new Set<Subscriber>();
  private reader: Promise<void> | undefined;
  private readerLink: RedisLink | undefined;
  private closed = false;

  constructor(
    private readonly link: RedisLink,
    private readonly openReader: () => Promise<RedisLink>,
    private readonly log: Logger,
  ) {
    this.key = `${link.prefix}:events`;
  }

  publish(events: NewDeskEvent[]): void {
    if (this.closed || events.length === 0) return;
    this.pending.push(...events);
    // what one turn of the event loop published goes out as one entry, right after that
    // turn: soon enough that a conversation's next step (on this or another instance,
    // which needs this commit first) publishes after it, so the stream keeps their order
    this.flushTimer ??= setImmediate(() => void this.flush());
  }

  private flush(): Promise<void> {
    if (this.flushTimer) clearImmediate(this.flushTimer);
    this.flushTimer = undefined;
    const batch = this.pending.splice(0);
    if (batch.length === 0) return this.flushing;
    this.flushing = this.flushing.then(() =>
      this.link.send(["XADD", this.key, "MAXLEN", "~", String(STREAM_MAX), "*", "e", JSON.stringify(batch)]).then(
        () => undefined,
        (err: unknown) => this.log.warn({ err, events: batch.length }, "could not publish live events; pages catch up on reload"),
      ),
    );
    return this.flushing;
  }

  subscribe(listener: (e: DeskEvent) => void, opts: { after?: string } = {}): Unsubscribe {
    const from = parseCursor(opts.after);
    const sub: Subscriber = { listener, seen: from ?? [0, 0, -1], ...(from ? { held: [] } : {}) };
    this.subscribers.add(sub);
    // without a cursor: whatever the reader reads from now on
    if (from && opts.after) void this.replay(sub, opts.after);
    this.reader ??= this.read();
    return () => void this.subscribers.delete(sub);
  }

  /** the newest cursor, counting what this instance has published and not yet written */
  async head(): Promise<string> {
    await this.flush();
    const last = (await this.link.send(["XREVRANGE", this.key, "+", "-", "COUNT", "1"])) as StreamEntry[];
    const entry = last[0];
    if (!entry) return cursorOf("0-0", 0);
    return cursorOf(entry[0], Math.max(0, this.decode(entry).length - 1));
  }

  async close(): Promise<void> {
    await this.flush();
    this.closed = true;
    this.subscribers.clear();
    this.readerLink?.destroy(); // ends a blocked XREAD at once
    await this.reader;
  }

  private decode(entry: StreamEntry): NewDeskEvent[] {
    const fields = entry[1];
    const i = fields.indexOf("e");
    try {
      const parsed: unknown = JSON.parse(fields[i + 1] ?? "[]");
      return Array.isArray(parsed) ? (parsed as NewDeskEvent[]) : [];
    } catch {
      return [];
    }
  }

  private *events(entries: StreamEntry[]): Generator<DeskEvent> {
    for (const entry of entries) {
      const events = this.decode(entry);
      for (let i = 0; i < events.length; i++) yield { ...events[i]!, cursor: cursorOf(entry[0], i) };
    }
  }

  private offer(sub: Subscriber, e: DeskEvent): void {
    const pos = parseCursor(e.cursor)!;
    if (!after(pos, sub.seen)) return;
    sub.seen = pos;
    deliver([sub.listener], e, (err) => this.log.error({ err }, "event listener failed"));
  }

  /** what a resuming subscriber missed, then what arrived meanwhile */
  private async replay(sub: Subscriber, cursor: string): Promise<void> {
    try {
      const id = cursor.split("/")[0]!;
      const entries = (await this.link.send(["XRANGE", this.key, id, "+"])) as StreamEntry[];
      for (const e of this.events(entries)) this.offer(sub, e);
    } catch (err) {
      this.log.warn({ err }, "could not replay missed events");
    } finally {
      const held = sub.held ?? [];
      delete sub.held;
      for (const e of held) this.offer(sub, e);
    }
  }

  /**
   * Where a starting reader begins: the oldest entry a resuming subscriber still needs
   * (its own entry is replayed to it, the rest the reader reads), else the stream's end
   * after what this instance has published.
   */
  private async startAt(): Promise<string> {
    const resuming = [...this.subscribers].filter((s) => s.held).map((s) => s.seen);
    if (resuming.length > 0) {
      const [ms, seq] = resuming.reduce((a, b) => (after(a, b) ? b : a));
      return `${ms}-${seq}`;
    }
    await this.flush(); // "now" counts what this instance published before
    return ((await this.link.send(["XREVRANGE", this.key, "+", "-", "COUNT", "1"])) as StreamEntry[])[0]?.[0] ?? "0-0";
  }

  private async read(): Promise<void> {
    try {
      const start = this.startAt();
      this.readerLink = await this.openReader();
      let last = await start;
      while (!this.closed && this.subscribers.size > 0) {
        let reply: [string, StreamEntry[]][] | null;
        try {
          reply = (await this.readerLink.send(["XREAD", "BLOCK", String(BLOCK_MS), "COUNT", "100", "STREAMS", this.key, last])) as
            | [string, StreamEntry[]][]
            | null;
        } catch (err) {
          if (this.closed) break;
          this.log.warn({ err }, "live events: read failed; trying again");
          await new Promise((r) => setTimeout(r, 500));
          continue;
        }
        const entries = reply?.[0]?.[1] ?? [];
        if (entries.length > 0) last = entries[entries.length - 1]![0];
        for (const e of this.events(entries)) {
          for (const sub of this.subscribers) {
            if (sub.held) sub.held.push(e);
            else this.offer(sub, e);
          }
        }
      }
    } catch (err) {
      if (!this.closed) this.log.error({ err }, "live events: reader stopped");
    } finally {
      const link = this.readerLink;
      this.readerLink = undefined;
      this.reader = undefined;
      if (link && !this.closed) await link.close().catch(() => link.destroy());
      // someone subscribed while the loop was ending
      if (!this.closed && this.subscribers.size > 0) this.reader = this.read();
    }
  }
}
