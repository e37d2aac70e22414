import type { Touchpoint } from "../model/domain.ts";
import type { StepVisit } from "./report-reads.ts";

/**
 * The bot's replies at steps (drop-off's one input), kept in columns between reports:
 * a busy month is half a million of them, too many to read and turn into objects per
 * report. The copy covers every visit from the earliest `from` asked so far; a report
 * reads only the visits written since the last one (by the store's own write order:
 * SQLite's touchpoint seq, Redis's insertion counter) and, for an earlier `from`, the
 * span before. A removal of touchpoints (the store's deletion mark changes) starts it
 * over. Conversations and flow/step pairs are numbered; a report walks typed arrays.
 */
/** where a copy catches up from: the store's rows in the copy's order, with a write cursor */
export interface CopySource<T> {
  /** changes whenever touchpoints were removed */
  deletionMark(): Promise<string>;
  /** rows with at in [from, to) (to: Infinity for all after), oldest first, and the write cursor they are complete up to */
  range(from: number, to: number): Promise<{ items: T[]; cursor: Cursor }>;
  /** rows written after the cursor with at >= from, oldest first, and the new cursor */
  after(cursor: Cursor, from: number): Promise<{ items: T[]; cursor: Cursor }>;
}

export type VisitSource = CopySource<StepVisit & { seq: number }>;

export interface Cursor {
  seq: number;
  /** the latest `at` read (Redis looks for late writes a margin before it) */
  at: number;
}

/** columns of the visits in [from, to) as a report reads them */
export interface VisitColumns {
  at: Float64Array;
  conv: Int32Array;
  /** flow and step, numbered: keys[n] is "flow\nstep" */
  key: Int32Array;
  start: number;
  end: number;
  convs: number;
  keys: string[];
}

/**
 * The catching-up both copies share: the copy covers every row from the earliest `from`
 * asked; a report reads what was written since the last one and, for an earlier `from`,
 * the span before; a removal (the deletion mark changes) starts it over. One update at a time.
 */
abstract class IncrementalCopy<T extends { seq: number }> {
  private covFrom = Infinity;
  private cursor: Cursor | undefined;
  private mark = "";
  private pending: Promise<void> | undefined;

  constructor(private readonly source: CopySource<T>) {}

  /** adds rows sorted by (at, seq), merged where they fall before what is held */
  protected abstract add(items: T[]): void;
  /** forgets every row */
  protected abstract clear(): void;

  protected async refresh(from: number): Promise<void> {
    while (this.pending) await this.pending;
    this.pending = this.update(from).finally(() => (this.pending = undefined));
    await this.pending;
  }

  private async update(from: number): Promise<void> {
    const mark = await this.source.deletionMark();
    if (mark !== this.mark) {
      this.covFrom = Infinity;
      this.cursor = undefined;
      this.clear();
      this.mark = mark;
    }
    if (this.cursor === undefined) {
      const r = await this.source.range(from, Infinity);
      this.add(r.items);
      this.cursor = r.cursor;
      this.covFrom = from;
      return;
    }
    const cursor = this.cursor;
    const seen = [cursor];
    if (from < this.covFrom) {
      // the span before what is held, then what was written since (at >= from): a
      // row written in between comes in both and is taken once
      const older = await this.source.range(from, this.covFrom);
      const fresh = await this.source.after(cursor, from);
      const twice = new Set(older.items.filter((v) => v.seq > cursor.seq).map((v) => v.seq));
      this.add(older.items);
      this.add(fresh.items.filter((v) => !twice.has(v.seq)));
      this.covFrom = from;
      seen.push(older.cursor, fresh.cursor);
    } else {
      const fresh = await this.source.after(cursor, this.covFrom);
      this.add(fresh.items);
      seen.push(fresh.cursor);
    }
    this.cursor = { seq: Math.max(...seen.map((c) => c.seq)), at: Math.max(...seen.map((c) => c.at)) };
  }
}

/** the first of `n` rows sorted by time whose time is at least `t` */
function lowerBound(n: number, atOf: (i: number) => number, t: number): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (atOf(mid) < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export class VisitCache extends IncrementalCopy<StepVisit & { seq: number }> {
  private at = new Float64Array(0);
  private seq = new Float64Array(0);
  private conv = new Int32Array(0);
  private key = new Int32Array(0);
  private n = 0;
  private readonly convIds = new Map<string, number>();
  private readonly keyIds = new Map<string, number>();
  private readonly keyNames: string[] = [];

  protected clear(): void {
    this.n = 0;
    this.convIds.clear();
    this.keyIds.clear();
    this.keyNames.length = 0;
  }

  private grow(need: number): void {
    if (need <= this.at.length) return;
    const size = Math.max(need, this.at.length * 2, 1024);
    const at = new Float64Array(size);
    const seq = new Float64Array(size);
    const conv = new Int32Array(size);
    const key = new Int32Array(size);
    at.set(this.at.subarray(0, this.n));
    seq.set(this.seq.subarray(0, this.n));
    conv.set(this.conv.subarray(0, this.n));
    key.set(this.key.subarray(0, this.n));
    Object.assign(this, { at, seq, conv, key });
  }

  protected add(visits: (StepVisit & { seq: number })[]): void {
    if (visits.length === 0) return;
    const m = visits.length;
    const nat = new Float64Array(m);
    const nseq = new Float64Array(m);
    const nconv = new Int32Array(m);
    const nkey = new Int32Array(m);
    visits.forEach((v, i) => {
      let c = this.convIds.get(v.conversationKey);
      if (c === undefined) this.convIds.set(v.conversationKey, (c = this.convIds.size));
      const name = `${v.flow}\n${v.step}`;
      let k = this.keyIds.get(name);
      if (k === undefined) {
        this.keyIds.set(name, (k = this.keyNames.length));
        this.keyNames.push(name);
      }
      nat[i] = v.at;
      nseq[i] = v.seq;
      nconv[i] = c;
      nkey[i] = k;
    });
    const before = (i: number, j: number) => this.at[i]! < nat[j]! || (this.at[i] === nat[j] && this.seq[i]! < nseq[j]!);
    if (this.n === 0 || before(this.n - 1, 0)) {
      // all after what is held: append
      this.grow(this.n + m);
      this.at.set(nat, this.n);
      this.seq.set(nseq, this.n);
      this.conv.set(nconv, this.n);
      this.key.set(nkey, this.n);
      this.n += m;
      return;
    }
    // merge the two sorted runs
    const total = this.n + m;
    const at = new Float64Array(total);
    const seq = new Float64Array(total);
    const conv = new Int32Array(total);
    const key = new Int32Array(total);
    let i = 0;
    let j = 0;
    for (let o = 0; o < total; o++) {
      if (j >= m || (i < this.n && before(i, j))) {
        at[o] = this.at[i]!;
        seq[o] = this.seq[i]!;
        conv[o] = this.conv[i]!;
        key[o] = this.key[i]!;
        i++;
      } else {
        at[o] = nat[j]!;
        seq[o] = nseq[j]!;
        conv[o] = nconv[j]!;
        key[o] = nkey[j]!;
        j++;
      }
    }
    Object.assign(this, { at, seq, conv, key, n: total });
  }

  async columns(from: number, to: number): Promise<VisitColumns> {
    await this.refresh(from);
    const lower = (t: number) => lowerBound(this.n, (i) => this.at[i]!, t);
    return { at: this.at, conv: this.conv, key: this.key, start: lower(from), end: lower(to), convs: this.convIds.size, keys: this.keyNames };
  }
}

/**
 * The report events (feedback, handoffs, staff replies, moments…) kept parsed between
 * reports the same way: the copy covers every event from the earliest `from` asked,
 * a report reads only those written since the last one, a removal starts it over.
 */
export type EventSource = CopySource<{ seq: number; t: Touchpoint }>;

export class EventCache extends IncrementalCopy<{ seq: number; t: Touchpoint }> {
  private list: { seq: number; t: Touchpoint }[] = [];

  protected clear(): void {
    this.list = [];
  }

  protected add(events: { seq: number; t: Touchpoint }[]): void {
    if (events.length === 0) return;
    const last = this.list[this.list.length - 1];
    const first = events[0]!;
    const inOrder = !last || last.t.at < first.t.at || (last.t.at === first.t.at && last.seq < first.seq);
    for (const e of events) this.list.push(e);
    if (!inOrder) this.list.sort((a, b) => a.t.at - b.t.at || a.seq - b.seq);
  }

  /** events with at in [from, to), oldest first (the copy's own objects: read only) */
  async between(from: number, to: number): Promise<Touchpoint[]> {
    await this.refresh(from);
    const lower = (t: number) => lowerBound(this.list.length, (i) => this.list[i]!.t.at, t);
    const out: Touchpoint[] = [];
    for (let i = lower(from), end = lower(to); i < end; i++) out.push(this.list[i]!.t);
    return out;
  }
}
