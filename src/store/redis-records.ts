/**
 * The argument and reply records the Redis store's scripts exchange with TypeScript,
 * declared once for both sides: the encoders here lay a record's fields out in this
 * order, and the loader (redis-scripts.ts) hands the same lists to the Lua as FIELDS,
 * which readRecord / readList / pushRecord (lua/lib/prelude.lua) follow. A field added
 * on one side only is a type error here or a missing key there, never a silent shift.
 */

export const FIELDS = {
  /** a contact to write; then its identities (a count, then each) and its stages (FIELDS.stage list) */
  contact: ["id", "d", "ph", "rc", "rb", "aud", "meta", "bal", "mi", "ca", "upd"],
  /** a first-reached stage of a contact */
  stage: ["stage", "at"],
  /** a conversation to write (after a "1"; "0" for none); then its timers (FIELDS.timer list) */
  conversation: ["ck", "d", "cid", "flow", "hasStep", "step", "ho", "upd", "channel", "chat"],
  timer: ["name", "at", "token"],
  touchpoint: ["id", "cid", "at", "d"],
  order: ["id", "cid", "st", "ca", "d"],
  /** an outbox item to insert; has* say whether the next field is present ("1") */
  item: ["id", "ck", "seq", "ch", "st", "att", "nb", "hasErr", "err", "hasPids", "pids", "hasDs", "ds", "d"],
  /** reply: a journal entry leased (leaseJHead) */
  entry: ["id", "ck", "ev", "at", "att"],
  /** reply: an outbox item (pushItem); only id, ck and wait for an item the caller has just written */
  outItem: ["id", "ck", "d", "st", "att", "nb", "err", "pids", "ds", "wait"],
} as const;

export type RecordName = keyof typeof FIELDS;
type Fields<R extends RecordName> = (typeof FIELDS)[R][number];

/** a record's values in its declared order */
export function encodeRecord<R extends RecordName>(name: R, values: Record<Fields<R>, string>): string[] {
  return FIELDS[name].map((f) => (values as Record<string, string>)[f]!);
}

/** `count` records of `name` read from a flat reply at `start`, and where the next value begins */
export function decodeRecords<R extends RecordName>(
  name: R,
  reply: readonly unknown[],
  start = 0,
  count = Number.POSITIVE_INFINITY,
): { records: Record<Fields<R>, unknown>[]; end: number } {
  const fields = FIELDS[name];
  const records: Record<Fields<R>, unknown>[] = [];
  let i = start;
  for (; i + fields.length <= reply.length && records.length < count; i += fields.length) {
    const r = {} as Record<string, unknown>;
    fields.forEach((f, j) => (r[f] = reply[i + j]));
    records.push(r as Record<Fields<R>, unknown>);
  }
  return { records, end: i };
}

/**
 * Members of the time-ordered listings are "<12-digit insertion counter>|<id>" (pad() in
 * the Lua): the id starts after PAD characters on both sides.
 */
export const PAD = 13;

/**
 * A funnel log record (logStage in lua/lib/prelude.lua): contact number u32, stage u8,
 * at f64, little-endian, as struct.pack lays out LOG_FORMAT; LOG_RECORD bytes each.
 */
export const LOG_FORMAT = "<IBd";
export const LOG_RECORD = 13;
