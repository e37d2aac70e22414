import type { InboundEvent } from "../model/inbound.ts";
import type { OutboxItem, OutboxStatus } from "../model/outbound.ts";
import type { Contact, Conversation, Order, Touchpoint } from "../model/domain.ts";
import type { JournalEntry, TurnContext } from "./port.ts";
import { decodeRecords, encodeRecord } from "./redis-records.ts";

/*
 * The Redis store's values both ways: replies read (arr, str, …), the records its
 * scripts read encoded in the order redis-records.ts declares, and the scripts'
 * answers decoded back into the port's types.
 */

// ---- replies -------------------------------------------------------------------

export function arr(x: unknown): unknown[] {
  if (!Array.isArray(x)) throw new Error(`redis: expected an array reply, got ${typeof x}`);
  return x;
}

export function str(x: unknown): string {
  if (typeof x === "string") return x;
  if (typeof x === "number") return String(x);
  if (Buffer.isBuffer(x)) return x.toString("utf8");
  throw new Error(`redis: expected a string reply, got ${x === null ? "null" : typeof x}`);
}

export function optStr(x: unknown): string | null {
  return x === null || x === undefined ? null : str(x);
}

export function strs(x: unknown): string[] {
  return arr(x).map(str);
}

export { limitOf } from "./shared.ts";

/** the ZRANGE stop index for the first `lim` (all when negative) */
export function stopOf(lim: number): string {
  return lim < 0 ? "-1" : String(lim - 1);
}

/** a ZRANGE BYSCORE bound */
export function bound(x: number, exclusive: boolean): string {
  if (x === Number.POSITIVE_INFINITY) return "+inf";
  if (x === Number.NEGATIVE_INFINITY) return "-inf";
  return exclusive ? `(${x}` : String(x);
}

export const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

export function identityKey(channel: string, userId: string): string {
  return `${channel}\n${userId}`;
}

// ---- records the scripts read ------------------------------------------------------

/** `[present, value]`: Lua cannot tell an absent value from "" */
function opt(x: string | undefined): [string, string] {
  return x === undefined ? ["0", ""] : ["1", x];
}

/** FIELDS.contact, its identities (count, each), its first-reached stages (FIELDS.stage list) */
export function contactArgs(c: Contact): string[] {
  const idents = c.identities.map((i) => identityKey(i.channel, i.userId));
  const stages =
    c.mergedInto === undefined
      ? Object.entries(c.stagesReached).filter((e): e is [string, number] => typeof e[1] === "number")
      : [];
  return [
    ...encodeRecord("contact", {
      id: c.id,
      d: JSON.stringify(c),
      ph: c.phone ?? "",
      rc: c.referralCode,
      rb: c.referredBy ?? "",
      aud: c.audience,
      meta: c.source === undefined ? c.audience : `${c.audience}|${c.source}`,
      bal: String(c.balance),
      mi: c.mergedInto ?? "",
      ca: String(c.createdAt),
      upd: String(c.updatedAt),
    }),
    String(idents.length),
    ...idents,
    String(stages.length),
    ...stages.flatMap(([stage, at]) => encodeRecord("stage", { stage, at: String(at) })),
  ];
}

/** "1", FIELDS.conversation, its timers (FIELDS.timer list); "0" for no conversation */
export function conversationArgs(c: Conversation | undefined): string[] {
  if (!c) return ["0"];
  const timers = Object.entries(c.timers);
  return [
    "1",
    ...encodeRecord("conversation", {
      ck: c.key,
      d: JSON.stringify(c),
      cid: c.contactId,
      flow: c.flow,
      hasStep: c.step === null ? "0" : "1",
      step: c.step ?? "",
      ho: c.handoff ? "1" : "0",
      upd: String(c.updatedAt),
      channel: c.channel,
      chat: c.chatId,
    }),
    String(timers.length),
    ...timers.flatMap(([name, t]) => encodeRecord("timer", { name, at: String(t.at), token: t.token })),
  ];
}

export function touchpointArgs(t: Touchpoint): string[] {
  return encodeRecord("touchpoint", { id: t.id, cid: t.contactId, at: String(t.at), d: JSON.stringify(t) });
}

export function orderArgs(o: Order): string[] {
  return encodeRecord("order", { id: o.id, cid: o.contactId, st: o.status, ca: String(o.createdAt), d: JSON.stringify(o) });
}

export function outboxArgs(i: OutboxItem): string[] {
  const [hasErr, err] = opt(i.lastError);
  const [hasPids, pids] = opt(i.platformMessageIds ? JSON.stringify(i.platformMessageIds) : undefined);
  const [hasDs, ds] = opt(i.deliveryStatus);
  return encodeRecord("item", {
    id: i.id,
    ck: i.conversationKey,
    seq: String(i.seq),
    ch: i.channel,
    st: i.status,
    att: String(i.attempts),
    nb: String(i.notBefore),
    hasErr,
    err,
    hasPids,
    pids,
    hasDs,
    ds,
    d: JSON.stringify(i),
  });
}

// ---- the scripts' answers ------------------------------------------------------------

/** loadTurn's answer (lua/lib/turn.lua): conversation JSON and contact id, contact JSON, then order JSON + contact id pairs */
export function toTurn(reply: unknown[]): TurnContext {
  const r = reply.map((x) => (x === null ? "" : str(x)));
  let conversation: Conversation | null = null;
  if (r[0]) {
    conversation = JSON.parse(r[0]) as Conversation;
    if (r[1]) conversation.contactId = r[1];
  }
  const contact = r[2] ? (JSON.parse(r[2]) as Contact) : null;
  const orders: Order[] = [];
  for (let i = 3; i + 1 < r.length; i += 2) {
    const order = JSON.parse(r[i]!) as Order;
    if (r[i + 1]) order.contactId = r[i + 1]!;
    orders.push(order);
  }
  return { conversation, contact, orders };
}

/** `count` journal entries (all when undefined) as leaseJHead lays them out (FIELDS.entry) from `start` */
export function toEntries(r: readonly unknown[], start: number, count = Number.POSITIVE_INFINITY): { entries: JournalEntry[]; end: number } {
  const { records, end } = decodeRecords("entry", r, start, count);
  const entries = records.map((e) => ({
    id: str(e.id),
    conversationKey: str(e.ck),
    event: JSON.parse(str(e.ev)) as InboundEvent,
    enqueuedAt: Number(str(e.at)),
    attempts: Number(str(e.att)),
  }));
  return { entries, end };
}

/**
 * items as pushItem (lua/lib/outbox.lua) lays them out (FIELDS.outItem) from `start`;
 * an item given with empty fields is one of `written` (claimOHead's fresh items). A wait
 * booked in the channel's budget by a lease taken at `leaseNow` becomes its sendAt.
 */
export function toOutboxItems(reply: unknown, start = 0, written?: readonly OutboxItem[], leaseNow?: number): OutboxItem[] {
  return decodeRecords("outItem", arr(reply), start).records.map((r) => {
    const local = r.d === "" ? written?.find((w) => w.id === str(r.id)) : undefined;
    const item = local ? { ...local } : (JSON.parse(str(r.d)) as OutboxItem);
    if (!local) {
      item.status = str(r.st) as OutboxStatus;
      item.attempts = Number(str(r.att));
      item.notBefore = Number(str(r.nb));
      const err = optStr(r.err);
      if (err !== null) item.lastError = err;
      else delete item.lastError;
      const pids = optStr(r.pids);
      if (pids !== null) item.platformMessageIds = JSON.parse(pids) as string[];
      else delete item.platformMessageIds;
      const ds = optStr(r.ds);
      if (ds !== null) item.deliveryStatus = ds;
      else delete item.deliveryStatus;
    }
    const wait = optStr(r.wait);
    if (wait && leaseNow !== undefined) item.sendAt = leaseNow + Number(wait);
    return item;
  });
}
