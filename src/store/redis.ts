import { createHash } from "node:crypto";
import pino from "pino";
import { RESP_TYPES } from "redis";
import type { Logger } from "pino";
import type { Channel } from "../model/channel.ts";
import type { InboundEvent, OrderStatusName } from "../model/inbound.ts";
import { conversationKey, journalKey } from "../model/inbound.ts";
import type { OutboxItem, OutboxStatus } from "../model/outbound.ts";
import { STAGES } from "../model/domain.ts";
import type { Audience, Contact, Conversation, Order, StageKey, Touchpoint } from "../model/domain.ts";
import type {
  CommitLeases,
  CommitResult,
  ContactQuery,
  DueTimer,
  EnqueueOutcome,
  EnqueueResult,
  InboundLease,
  JournalEntry,
  OutboxLease,
  RetryOptions,
  SendBudget,
  StageColumns,
  StageEntry,
  StepCommit,
  Store,
  TurnContext,
} from "./port.ts";
import { newId } from "./ids.ts";
import { DEDUPE_TTL_MS, MAX_MERGE_HOPS, StaleEntryError, emptyColumns, mergeContactRecords, mergeDone } from "./shared.ts";
import { LUA, type ScriptName } from "./redis-scripts.ts";
import { openRedisLink, type RedisLink } from "./redis-link.ts";
import type { KvCounter, KvEntry, KvSetOptions } from "./kv.ts";
import { RedisKv } from "./redis-kv.ts";
import { RedisEventBus } from "../events/redis-bus.ts";

/*
 * The production store on Redis (node-redis 5, one connection: redis-link.ts). Semantics are those of
 * the SQLite store (sqlite.ts), key for key; test/store-contract.ts holds both to them.
 *
 * Layout (P = key prefix, default "fd"). Conversation keys share the hash tag
 * {c:<conversationKey>}, contact keys {p:<contactId>}:
 *   P:{c:K}            hash: conversation JSON (d), contact id (c), index state
 *   P:{c:K}:q          zset: live journal entry ids by global seq (the chat's queue)
 *   P:{c:K}:j:<id>     hash: one journal entry (event, attempts, status, lease, error)
 *   P:{c:K}:o:<id>     hash: one outbox item (JSON as inserted + delivery state)
 *   P:{c:K}:op / :oa   zsets: pending / all outbox item ids by seq
 *   P:{c:K}:tm         hash: timer name -> fired, at, token, channel, chat id
 *   P:{p:C}            hash: contact JSON (d) and the indexed fields as last written
 *   P:{p:C}:id :cv :or :tp :rf :st   identities, conversations, orders, touchpoints
 *                      (zset by time, the JSON in the member), contacts it referred,
 *                      first-reached stages (SQLite's stage rows)
 *   P:or:<id>          hash: order JSON, its contact id now
 * and global indexes: P:dd:<journalKey> (dedupe, 7-day TTL), P:jready / P:jleased
 * (conversations with a journal head, by head seq / by lease end), P:jloc (entry id
 * -> conversation), P:jdead, P:oheads (conversations with a
 * pending outbox head, by max(notBefore, lease end)), P:oloc, P:oall, P:ost:<status>
 * (by insertion; ost:sent by time sent, which retention walks),
 * P:opid (platform id -> item), P:timers (unfired timers by time), P:ident, P:ph:<phone>,
 * P:rc:<code>, P:cu[:<aud>] / P:cb[:<aud>] (live contacts by updatedAt / balance),
 * P:cv:all|open|ho (conversations by updatedAt), P:sx:<aud>\n<flow>\n<step> + P:sxk
 * (active conversations by updatedAt, for stepCounts), P:or:all, P:or:st:<status>.
 * Members of time-ordered listings are "<12-digit insertion counter>|<id>", so equal
 * times keep SQLite's rowid order.
 * The funnel's own log (stageColumns, stageEntries): P:cn numbers contacts (field cn
 * of P:{p:C}, and P:cnid maps the number back to the id),
 * P:fl:<UTC day> appends a 13-byte record per first-reached stage (and a take-back
 * record when an earlier time replaces it or a merge removes it), P:fc holds each
 * contact number's audience|source number as a u32 (0: merged away), P:fm / P:fmn
 * number those. A month's report reads a few MB of bytes instead of every entry.
 *
 * Atomicity: every write is one Lua script (EVALSHA, EVAL after a NOSCRIPT), which
 * Redis runs alone and writes to the AOF as one MULTI/EXEC. Scripts check what can
 * refuse a write (stale entry, taken outbox seq) before their first write.
 *
 * The journal is not a Redis Stream with a consumer group: XREADGROUP hands out a
 * stream's entries in arrival order to whoever asks, so two workers would hold two
 * messages of one chat at once, and a PEL's idle time is the server's wall clock while
 * the port leases by the caller's `now`. The per-conversation queue + jready/jleased
 * pair does the PEL's job under the port's rules: a claim takes the oldest head of a
 * conversation with no live lease, records the lease end in jleased, and a later claim
 * whose `now` passed it moves the conversation back (XAUTOCLAIM's role), attempts + 1.
 * For the same reason leases are not PX-expiring keys: they end at a time the caller
 * names, which tests and skewed workers set apart from the server's clock.
 *
 * Cluster: on a Redis Cluster (found out at connect, see redis-link.ts) the prefix
 * becomes a hash tag of its own, "{fd}", and as the first braces of every key it puts
 * the whole shop in one slot; the {c:…}/{p:…} tags above then only name things. Every
 * script declares the prefix as its one key, so the cluster client routes it to the
 * slot's node, and Redis runs it there as one atomic unit as on a standalone server.
 * A finer split (a slot per conversation) would break the one-write step: a step
 * writes the conversation, its contact, orders and the shop's indexes together. One
 * shop's traffic is bounded by the platforms (~30 msg/s per Telegram bot) far below a
 * node; a cluster gives it failover, and shops (prefixes) spread over the nodes.
 */

const PAD = 13; // "<12-digit counter>|" in front of ids in listing members
const DAY_MS = 86_400_000;
/** a funnel log record: contact number u32, stage u8, at f64 (logStage in redis-scripts.ts) */
const LOG_RECORD = 13;

export interface RedisStoreOptions {
  /** key prefix; lets tests share a server (default "fd") */
  prefix?: string;
  log?: Logger;
  /** wall clock for merge times and enqueue's fallback time (tests fix it); Date.now */
  clock?: () => number;
}


// ---- reply helpers -------------------------------------------------------------

function arr(x: unknown): unknown[] {
  if (!Array.isArray(x)) throw new Error(`redis: expected an array reply, got ${typeof x}`);
  return x;
}

function str(x: unknown): string {
  if (typeof x === "string") return x;
  if (typeof x === "number") return String(x);
  if (Buffer.isBuffer(x)) return x.toString("utf8");
  throw new Error(`redis: expected a string reply, got ${x === null ? "null" : typeof x}`);
}

function optStr(x: unknown): string | null {
  return x === null || x === undefined ? null : str(x);
}

function strs(x: unknown): string[] {
  return arr(x).map(str);
}

function limitOf(limit: number | undefined): number {
  return limit === undefined ? -1 : Math.max(0, Math.floor(limit));
}

function withTimeout<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/** the ZRANGE stop index for the first `lim` (all when negative) */
function stopOf(lim: number): string {
  return lim < 0 ? "-1" : String(lim - 1);
}

/** a ZRANGE BYSCORE bound */
function bound(x: number, exclusive: boolean): string {
  if (x === Number.POSITIVE_INFINITY) return "+inf";
  if (x === Number.NEGATIVE_INFINITY) return "-inf";
  return exclusive ? `(${x}` : String(x);
}

/** `[present, value]`: Lua cannot tell an absent value from "" */
function opt(x: string | undefined): [string, string] {
  return x === undefined ? ["0", ""] : ["1", x];
}

function identityKey(channel: string, userId: string): string {
  return `${channel}\n${userId}`;
}

// ---- encoders (argument lists read by readContact etc. in redis-scripts.ts) -----

function contactArgs(c: Contact): string[] {
  const idents = c.identities.map((i) => identityKey(i.channel, i.userId));
  const stages =
    c.mergedInto === undefined
      ? Object.entries(c.stagesReached).filter((e): e is [string, number] => typeof e[1] === "number")
      : [];
  return [
    c.id,
    JSON.stringify(c),
    c.phone ?? "",
    c.referralCode,
    c.referredBy ?? "",
    c.audience,
    c.source === undefined ? c.audience : `${c.audience}|${c.source}`,
    String(c.balance),
    c.mergedInto ?? "",
    String(c.createdAt),
    String(c.updatedAt),
    String(idents.length),
    ...idents,
    String(stages.length),
    ...stages.flatMap(([stage, at]) => [stage, String(at)]),
  ];
}

function conversationArgs(c: Conversation): string[] {
  const timers = Object.entries(c.timers);
  return [
    "1",
    c.key,
    JSON.stringify(c),
    c.contactId,
    c.flow,
    c.step === null ? "0" : "1",
    c.step ?? "",
    c.handoff ? "1" : "0",
    String(c.updatedAt),
    c.channel,
    c.chatId,
    String(timers.length),
    ...timers.flatMap(([name, t]) => [name, String(t.at), t.token]),
  ];
}

function outboxArgs(i: OutboxItem): string[] {
  return [
    i.id,
    i.conversationKey,
    String(i.seq),
    i.channel,
    i.status,
    String(i.attempts),
    String(i.notBefore),
    ...opt(i.lastError),
    ...opt(i.platformMessageIds ? JSON.stringify(i.platformMessageIds) : undefined),
    ...opt(i.deliveryStatus),
    JSON.stringify(i),
  ];
}

/** loadTurn's answer (redis-scripts.ts): conversation JSON and contact id, contact JSON, then order JSON + contact id pairs */
function toTurn(reply: unknown[]): TurnContext {
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

/** `count` journal entries (all when undefined) as leaseJHead lays them out from `start`: 5 values each */
function toEntries(r: string[], start: number, count = Number.POSITIVE_INFINITY): { entries: JournalEntry[]; end: number } {
  const entries: JournalEntry[] = [];
  let i = start;
  for (; i + 4 < r.length && entries.length < count; i += 5) {
    entries.push({
      id: r[i]!,
      conversationKey: r[i + 1]!,
      event: JSON.parse(r[i + 2]!) as InboundEvent,
      enqueuedAt: Number(r[i + 3]),
      attempts: Number(r[i + 4]),
    });
  }
  return { entries, end: i };
}

/**
 * items as pushItem (redis-scripts.ts) lays them out from `start`: 10 values each; an
 * item given with empty fields is one of `written` (claimOHead's fresh items). A wait
 * booked in the channel's budget by a lease taken at `leaseNow` becomes its sendAt.
 */
function toOutboxItems(reply: unknown, start = 0, written?: readonly OutboxItem[], leaseNow?: number): OutboxItem[] {
  const r = arr(reply);
  const out: OutboxItem[] = [];
  for (let i = start; i + 9 < r.length; i += 10) {
    const local = r[i + 2] === "" ? written?.find((w) => w.id === str(r[i])) : undefined;
    const item = local ? { ...local } : (JSON.parse(str(r[i + 2])) as OutboxItem);
    if (!local) {
      item.status = str(r[i + 3]) as OutboxStatus;
      item.attempts = Number(str(r[i + 4]));
      item.notBefore = Number(str(r[i + 5]));
      const err = optStr(r[i + 6]);
      if (err !== null) item.lastError = err;
      else delete item.lastError;
      const pids = optStr(r[i + 7]);
      if (pids !== null) item.platformMessageIds = JSON.parse(pids) as string[];
      else delete item.platformMessageIds;
      const ds = optStr(r[i + 8]);
      if (ds !== null) item.deliveryStatus = ds;
      else delete item.deliveryStatus;
    }
    const wait = optStr(r[i + 9]);
    if (wait && leaseNow !== undefined) item.sendAt = leaseNow + Number(wait);
    out.push(item);
  }
  return out;
}

// ---- merge helpers (as in sqlite.ts) ----------------------------------------------

const MERGE_RETRIES = 10;

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * The Redis store. One connection, commands pipelined by node-redis whenever they are
 * issued in the same tick; every write is one Lua script. While the server is
 * unreachable commands fail fast (webhooks answer 5xx, the platforms redeliver) and
 * the client reconnects with backoff; errors are logged, never thrown out of an
 * event handler.
 */
export class RedisStore implements Store {
  readonly kind = "redis" as const;
  private readonly shas: Record<ScriptName, string>;
  /** key prefix: `{prefix}` on a cluster, so that all keys share its slot */
  private readonly p: string;
  private closed = false;
  private readonly kv: RedisKv;

  private constructor(
    private readonly link: RedisLink,
    private readonly clock: () => number,
  ) {
    this.p = link.prefix;
    this.kv = new RedisKv(link, link.prefix);
    this.shas = Object.fromEntries(
      Object.entries(LUA).map(([name, src]) => [name, createHash("sha1").update(src).digest("hex")]),
    ) as Record<ScriptName, string>;
  }

  /** a standalone server or a Redis Cluster (see redis-link.ts), whichever REDIS_URL points at */
  static async connect(url: string, opts: RedisStoreOptions = {}): Promise<RedisStore> {
    const log = opts.log ?? pino({ name: "redis-store", level: "warn" });
    const link = await openRedisLink(url, opts.prefix ?? "fd", log);
    const store = new RedisStore(link, opts.clock ?? Date.now);
    // warm the script cache; a restarted server (or a promoted replica) is refilled on NOSCRIPT
    await Promise.all(Object.values(LUA).map((src) => link.send(["SCRIPT", "LOAD", src])));
    return store;
  }

  /** whether this store runs on a Redis Cluster (all of its keys in the slot of its prefix) */
  get cluster(): boolean {
    return this.link.cluster;
  }

  // ---- plumbing -------------------------------------------------------------------

  private cmd(args: string[]): Promise<unknown> {
    return this.link.send(args);
  }

  /**
   * Scripts build their key names from the prefix (ARGV[1]); the prefix is also
   * declared as their one key, so a cluster runs them on the node of the shop's slot.
   */
  private async run(name: ScriptName, args: string[]): Promise<unknown> {
    try {
      return await this.link.send(["EVALSHA", this.shas[name], "1", this.p, this.p, ...args]);
    } catch (err) {
      if (!(err instanceof Error) || !err.message.startsWith("NOSCRIPT")) throw err;
      return this.link.send(["EVAL", LUA[name], "1", this.p, this.p, ...args]);
    }
  }

  private k(name: string): string {
    return `${this.p}:${name}`;
  }
  private kConv(ck: string): string {
    return `${this.p}:{c:${ck}}`;
  }
  private kContact(id: string): string {
    return `${this.p}:{p:${id}}`;
  }

  /** live events for every instance on this Redis: a capped stream, read on a connection of its own */
  openEvents(log: Logger): RedisEventBus {
    return new RedisEventBus(this.link, () => this.link.duplicate(), log);
  }

  // ---- key-value records (src/store/kv.ts) ------------------------------------------

  kvGet(ns: string, key: string): Promise<string | null> {
    return this.kv.kvGet(ns, key);
  }
  kvSet(ns: string, key: string, value: string, opts?: KvSetOptions): Promise<boolean> {
    return this.kv.kvSet(ns, key, value, opts);
  }
  kvDelete(ns: string, key: string): Promise<boolean> {
    return this.kv.kvDelete(ns, key);
  }
  kvTake(ns: string, key: string): Promise<string | null> {
    return this.kv.kvTake(ns, key);
  }
  kvIncr(ns: string, key: string, by?: number, ttlMs?: number): Promise<KvCounter> {
    return this.kv.kvIncr(ns, key, by, ttlMs);
  }
  kvList(ns: string, limit?: number): Promise<KvEntry[]> {
    return this.kv.kvList(ns, limit);
  }

  // ---- inbound journal ---------------------------------------------------------------

  async enqueue(events: InboundEvent[]): Promise<EnqueueOutcome[]> {
    return (await this.enqueueAndClaim(events)).outcomes;
  }

  async enqueueAndClaim(events: InboundEvent[], lease?: InboundLease): Promise<EnqueueResult> {
    if (events.length === 0) return { outcomes: [], claimed: [] };
    const now = this.clock();
    const claim = lease && lease.max > 0 ? lease : undefined;
    const args = [
      String(DEDUPE_TTL_MS),
      claim?.workerId ?? "",
      String(claim ? Math.floor(claim.max) : 0),
      claim ? String(claim.now + claim.leaseMs) : "",
      String(MAX_MERGE_HOPS),
      String(claim?.turnOrders ?? 0),
      String(events.length),
    ];
    const rows = events.map((e) => {
      const row = { id: newId("in"), key: conversationKey(e), at: e.at || now };
      args.push(journalKey(e), row.key, row.id, String(row.at), JSON.stringify(e), identityKey(e.channel, e.userId));
      return row;
    });
    const reply = arr(await this.run("enqueue", args));
    const outcomes: EnqueueOutcome[] = [];
    const claimed: JournalEntry[] = [];
    reply.forEach((x, i) => {
      // a leased entry comes with what its step reads
      const leased = Array.isArray(x);
      outcomes.push(leased || Number(x) !== 0 ? "queued" : "duplicate");
      const row = rows[i]!;
      if (leased) {
        const entry: JournalEntry = { id: row.id, conversationKey: row.key, event: events[i]!, enqueuedAt: row.at, attempts: 1 };
        if (claim?.turnOrders !== undefined) entry.turn = toTurn(x);
        claimed.push(entry);
      }
    });
    return { outcomes, claimed };
  }

  async claimInbound(workerId: string, max: number, leaseMs: number, now: number): Promise<JournalEntry[]> {
    if (max <= 0) return [];
    return toEntries(
      strs(await this.run("claimInbound", [workerId, String(Math.floor(max)), String(now + leaseMs), String(now)])),
      0,
    ).entries;
  }

  async releaseInbound(entryId: string, error: string, maxAttempts: number): Promise<void> {
    await this.run("releaseInbound", [entryId, error, String(maxAttempts)]);
  }

  async pendingInbound(): Promise<number> {
    return Number(await this.run("pendingInbound", []));
  }

  async deadInbound(limit: number): Promise<{ entry: JournalEntry; error: string }[]> {
    const lim = limitOf(limit);
    if (lim === 0) return [];
    const r = strs(await this.run("deadInbound", [stopOf(lim)]));
    const out: { entry: JournalEntry; error: string }[] = [];
    for (let i = 0; i + 5 < r.length; i += 6) {
      out.push({
        entry: {
          id: r[i]!,
          conversationKey: r[i + 1]!,
          event: JSON.parse(r[i + 2]!) as InboundEvent,
          enqueuedAt: Number(r[i + 3]),
          attempts: Number(r[i + 4]),
        },
        error: r[i + 5]!,
      });
    }
    return out;
  }

  async retryDeadInbound(entryId: string): Promise<JournalEntry | null> {
    const id = newId("in");
    const r = await this.run("deadInboundAction", [entryId, id]);
    if (!Array.isArray(r)) return null;
    const [conversationKey, event, at] = strs(r);
    return { id, conversationKey: conversationKey!, event: JSON.parse(event!) as InboundEvent, enqueuedAt: Number(at), attempts: 0 };
  }

  async discardDeadInbound(entryId: string): Promise<boolean> {
    return Array.isArray(await this.run("deadInboundAction", [entryId, ""]));
  }

  // ---- contacts and conversations ---------------------------------------------------

  private async conversations(keys: string[]): Promise<Conversation[]> {
    const replies = await Promise.all(keys.map((ck) => this.cmd(["HMGET", this.kConv(ck), "d", "c"])));
    const out: Conversation[] = [];
    for (const reply of replies) {
      const [d, c] = arr(reply).map(optStr);
      if (d === null || d === undefined) continue;
      const conv = JSON.parse(d) as Conversation;
      if (c) conv.contactId = c;
      out.push(conv);
    }
    return out;
  }

  async getConversation(key: string): Promise<Conversation | null> {
    return (await this.conversations([key]))[0] ?? null;
  }

  async loadTurn(conversationKey: string, channel: Channel, userId: string, ordersLimit: number): Promise<TurnContext> {
    return toTurn(
      arr(await this.run("loadTurn", [conversationKey, identityKey(channel, userId), String(MAX_MERGE_HOPS), String(ordersLimit)])),
    );
  }

  async listConversations(filter: { inHandoff?: boolean; contactId?: string; limit?: number }): Promise<Conversation[]> {
    const lim = limitOf(filter.limit);
    if (lim === 0) return [];
    if (filter.contactId !== undefined) {
      const keys = strs(await this.cmd(["ZRANGE", `${this.kContact(filter.contactId)}:cv`, "0", "-1", "REV"])).map(
        (m) => m.slice(PAD),
      );
      let convs = await this.conversations(keys);
      if (filter.inHandoff !== undefined) convs = convs.filter((c) => Boolean(c.handoff) === filter.inHandoff);
      return lim < 0 ? convs : convs.slice(0, lim);
    }
    const index = filter.inHandoff === undefined ? "cv:all" : filter.inHandoff ? "cv:ho" : "cv:open";
    const members = strs(await this.cmd(["ZRANGE", this.k(index), "0", stopOf(lim), "REV"]));
    return this.conversations(members.map((m) => m.slice(PAD)));
  }

  private async contacts(ids: string[]): Promise<(Contact | null)[]> {
    const replies = await Promise.all(ids.map((id) => this.cmd(["HGET", this.kContact(id), "d"])));
    return replies.map((r) => {
      const d = optStr(r);
      return d === null ? null : (JSON.parse(d) as Contact);
    });
  }

  async getContact(id: string): Promise<Contact | null> {
    return (await this.contacts([id]))[0] ?? null;
  }

  /** follow mergedInto pointers to the contact that stands for the person now */
  private async resolve(c: Contact | null): Promise<Contact | null> {
    let cur = c;
    for (let hops = 0; cur?.mergedInto !== undefined && hops < MAX_MERGE_HOPS; hops++) {
      cur = await this.getContact(cur.mergedInto);
    }
    return cur?.mergedInto === undefined ? cur : null;
  }

  async findContactByIdentity(channel: Channel, userId: string): Promise<Contact | null> {
    const id = optStr(await this.cmd(["HGET", this.k("ident"), identityKey(channel, userId)]));
    return id === null ? null : this.resolve(await this.getContact(id));
  }

  /** live contacts first, then the oldest (the score is createdAt, +1e15 when merged) */
  private async firstOf(index: string): Promise<Contact | null> {
    const [id] = strs(await this.cmd(["ZRANGE", index, "0", "0"]));
    return id === undefined ? null : this.resolve(await this.getContact(id));
  }

  async findContactByPhone(phone: string): Promise<Contact | null> {
    return this.firstOf(this.k(`ph:${phone}`));
  }

  async findContactByReferralCode(code: string): Promise<Contact | null> {
    return this.firstOf(this.k(`rc:${code}`));
  }

  async listContacts(query: ContactQuery): Promise<Contact[]> {
    const lim = limitOf(query.limit);
    if (lim === 0) return [];
    const aud = query.audience !== undefined ? `:${query.audience}` : "";
    if (query.balanceBelow === undefined) {
      const members = strs(await this.cmd(["ZRANGE", this.k(`cu${aud}`), "0", stopOf(lim), "REV"]));
      return (await this.contacts(members.map((m) => m.slice(PAD)))).filter((c): c is Contact => c !== null);
    }
    // balance ASC, then updatedAt DESC: load the first `lim` plus whoever ties the last
    const flat = strs(
      await this.cmd(["ZRANGE", this.k(`cb${aud}`), "-inf", bound(query.balanceBelow, true), "BYSCORE", "WITHSCORES"]),
    );
    const rows: { member: string; balance: number }[] = [];
    for (let i = 0; i + 1 < flat.length; i += 2) rows.push({ member: flat[i]!, balance: Number(flat[i + 1]) });
    let picked = rows;
    if (lim > 0 && rows.length > lim) {
      const edge = rows[lim - 1]!.balance;
      picked = rows.filter((r) => r.balance <= edge);
    }
    const loaded = await this.contacts(picked.map((r) => r.member.slice(PAD)));
    const withRid = picked
      .map((r, i) => ({ rid: r.member.slice(0, PAD), c: loaded[i] }))
      .filter((x): x is { rid: string; c: Contact } => x.c !== null && x.c !== undefined);
    withRid.sort(
      (a, b) => a.c.balance - b.c.balance || b.c.updatedAt - a.c.updatedAt || (a.rid < b.rid ? 1 : a.rid > b.rid ? -1 : 0),
    );
    const sorted = withRid.map((x) => x.c);
    return lim < 0 ? sorted : sorted.slice(0, lim);
  }

  async mergeContacts(fromId: string, intoId: string): Promise<Contact> {
    if (fromId === intoId) throw new Error(`cannot merge contact ${fromId} into itself`);
    for (let attempt = 0; attempt < MERGE_RETRIES; attempt++) {
      const [fromJson, intoJson] = (
        await Promise.all([fromId, intoId].map((id) => this.cmd(["HGET", this.kContact(id), "d"])))
      ).map(optStr);
      const from = fromJson ? (JSON.parse(fromJson) as Contact) : null;
      const into = intoJson ? (JSON.parse(intoJson) as Contact) : null;
      if (!fromJson || !intoJson) throw new Error(`contact ${fromJson ? intoId : fromId} not found`);
      const done = mergeDone(fromId, intoId, from, into);
      if (done) return done;
      const { merged, source } = mergeContactRecords(from!, into!, this.clock());

      // those `from` referred now count as referred by `into`, written in SQLite's
      // order (insertion) and read after the two writes above, as SQLite does, so
      // the pair themselves come as just written
      const referredIds = strs(await this.cmd(["SMEMBERS", `${this.kContact(fromId)}:rf`])).filter(
        (id) => id !== fromId && id !== intoId,
      );
      if (merged.referredBy === fromId) referredIds.push(intoId);
      if (source.referredBy === fromId) referredIds.push(fromId);
      const rows = await Promise.all(
        referredIds.map(async (id) => {
          const [d, rid] = arr(await this.cmd(["HMGET", this.kContact(id), "d", "rid"])).map(optStr);
          return { id, d: d ?? null, rid: Number(rid ?? Number.MAX_SAFE_INTEGER) };
        }),
      );
      rows.sort((a, b) => a.rid - b.rid);
      const expect: string[] = [];
      const referred: Contact[] = [];
      for (const row of rows) {
        if (row.id === intoId) referred.push({ ...merged, referredBy: intoId });
        else if (row.id === fromId) referred.push({ ...source, referredBy: intoId });
        else if (row.d !== null) {
          const c = JSON.parse(row.d) as Contact;
          if (c.referredBy !== fromId) continue;
          expect.push(row.id, row.d);
          referred.push({ ...c, referredBy: intoId });
        }
      }

      const res = str(
        await this.run("merge", [
          fromId,
          intoId,
          fromJson,
          intoJson,
          String(expect.length / 2),
          ...expect,
          ...contactArgs(source),
          ...contactArgs(merged),
          String(referred.length),
          ...referred.flatMap(contactArgs),
        ]),
      );
      if (res === "OK") return merged;
    }
    throw new Error(`merging ${fromId} into ${intoId}: the contacts kept changing`);
  }

  // ---- the step commit ---------------------------------------------------------

  async commitStep(c: StepCommit, leases?: CommitLeases): Promise<CommitResult> {
    if (c.entryId === "") throw new StaleEntryError(c.entryId); // "" stands for "none" in the script
    // serialise everything first: a value JSON cannot hold fails here, before any write
    const inbound = leases?.inbound;
    const outbox = leases?.outbox;
    const args: string[] = [
      c.entryId ?? "",
      inbound?.workerId ?? "",
      inbound ? String(inbound.now + inbound.leaseMs) : "",
      inbound ? String(inbound.now) : "",
      outbox ? String(outbox.now + outbox.leaseMs) : "",
      outbox ? String(outbox.now) : "",
      outbox ? this.budgets : "",
    ];
    args.push(...(c.conversation ? conversationArgs(c.conversation) : ["0"]));
    args.push(String(c.contacts.length), ...c.contacts.flatMap(contactArgs));
    args.push(
      String(c.touchpoints.length),
      ...c.touchpoints.flatMap((t) => [t.id, t.contactId, String(t.at), JSON.stringify(t)]),
    );
    args.push(
      String(c.orders.length),
      ...c.orders.flatMap((o) => [o.id, o.contactId, o.status, String(o.createdAt), JSON.stringify(o)]),
    );
    args.push(String(c.outbox.length), ...c.outbox.flatMap(outboxArgs));
    try {
      const reply = arr(await this.run("commit", args));
      const flat = reply.map((x) => (x === null ? null : str(x)));
      const { entries, end } = toEntries(flat as string[], 1, Number(flat[0]));
      return { next: entries, outbox: toOutboxItems(reply, end, c.outbox, outbox?.now) };
    } catch (err) {
      if (err instanceof Error && err.message.startsWith("STALE") && c.entryId !== undefined) {
        throw new StaleEntryError(c.entryId);
      }
      throw err;
    }
  }

  // ---- touchpoints, orders ----------------------------------------------------

  /** the latest `limit` touchpoints (all without a limit), oldest first */
  async listTouchpoints(contactId: string, limit?: number): Promise<Touchpoint[]> {
    const lim = limitOf(limit);
    if (lim === 0) return [];
    const members = strs(await this.cmd(["ZRANGE", `${this.kContact(contactId)}:tp`, String(lim < 0 ? 0 : -lim), "-1"]));
    return members.map((m) => {
      const t = JSON.parse(m.slice(PAD)) as Touchpoint;
      t.contactId = contactId; // moved here by a merge
      return t;
    });
  }

  private async orders(ids: string[]): Promise<{ order: Order; status: string }[]> {
    const replies = await Promise.all(ids.map((id) => this.cmd(["HMGET", this.k(`or:${id}`), "d", "c", "st"])));
    const out: { order: Order; status: string }[] = [];
    for (const reply of replies) {
      const [d, c, st] = arr(reply).map(optStr);
      if (d === null || d === undefined) continue;
      const order = JSON.parse(d) as Order;
      if (c) order.contactId = c;
      out.push({ order, status: st ?? order.status });
    }
    return out;
  }

  async getOrder(id: string): Promise<Order | null> {
    return (await this.orders([id]))[0]?.order ?? null;
  }

  async listOrders(filter: { contactId?: string; status?: OrderStatusName; limit?: number }): Promise<Order[]> {
    const lim = limitOf(filter.limit);
    if (lim === 0) return [];
    if (filter.contactId !== undefined) {
      const both = filter.status !== undefined;
      const members = strs(
        await this.cmd(["ZRANGE", `${this.kContact(filter.contactId)}:or`, "0", both ? "-1" : stopOf(lim), "REV"]),
      );
      let rows = await this.orders(members.map((m) => m.slice(PAD)));
      if (both) rows = rows.filter((r) => r.status === filter.status);
      if (lim > 0) rows = rows.slice(0, lim);
      return rows.map((r) => r.order);
    }
    const index = filter.status !== undefined ? `or:st:${filter.status}` : "or:all";
    const members = strs(await this.cmd(["ZRANGE", this.k(index), "0", stopOf(lim), "REV"]));
    return (await this.orders(members.map((m) => m.slice(PAD)))).map((r) => r.order);
  }

  // ---- outbox -----------------------------------------------------------------

  async claimOutbox(max: number, leaseMs: number, now: number): Promise<OutboxItem[]> {
    if (max <= 0) return [];
    return toOutboxItems(await this.run("claimOutbox", [String(Math.floor(max)), String(now + leaseMs), String(now), this.budgets]), 0, undefined, now);
  }

  async markSent(id: string, platformMessageIds: string[], now: number, lease?: OutboxLease): Promise<OutboxItem[]> {
    const reply = await this.run("outboxUpdate", [
      "sent",
      id,
      JSON.stringify(platformMessageIds),
      String(now),
      String(platformMessageIds.length),
      ...platformMessageIds,
      ...(lease ? [String(lease.now + lease.leaseMs), String(lease.now), this.budgets] : [""]),
    ]);
    return Array.isArray(reply) ? toOutboxItems(reply, 0, undefined, lease?.now) : [];
  }

  async markRetry(id: string, notBefore: number, error: string, opts?: RetryOptions): Promise<void> {
    await this.run("outboxUpdate", ["retry", id, String(notBefore), error, opts?.countAttempt === false ? "0" : "1"]);
  }

  async markFailed(id: string, status: Extract<OutboxStatus, "dead" | "held">, error: string): Promise<void> {
    await this.run("outboxUpdate", ["failed", id, status, error]);
  }

  /** held or dead → pending, due now, attempts reset (a staff "send again") */
  async requeueOutbox(id: string, now: number): Promise<void> {
    await this.run("outboxUpdate", ["requeue", id, String(now)]);
  }

  async findOutboxByPlatformId(channel: Channel, platformMessageId: string): Promise<OutboxItem | null> {
    return toOutboxItems(await this.run("findOutbox", [identityKey(channel, platformMessageId)]))[0] ?? null;
  }

  async setDeliveryStatus(id: string, status: string): Promise<void> {
    await this.run("outboxUpdate", ["delivery", id, status]);
  }

  private async fetchOutbox(ids: string[]): Promise<OutboxItem[]> {
    if (ids.length === 0) return [];
    return toOutboxItems(await this.run("fetchOutbox", [String(ids.length), ...ids]));
  }

  /** in seq order within a conversation; in insertion order across conversations */
  async listOutbox(filter: { status?: OutboxStatus; conversationKey?: string; limit?: number }): Promise<OutboxItem[]> {
    const lim = limitOf(filter.limit);
    if (lim === 0) return [];
    if (filter.conversationKey !== undefined) {
      const filtered = filter.status !== undefined;
      const ids = strs(
        await this.cmd(["ZRANGE", `${this.kConv(filter.conversationKey)}:oa`, "0", filtered ? "-1" : stopOf(lim)]),
      );
      let items = await this.fetchOutbox(ids);
      if (filtered) items = items.filter((i) => i.status === filter.status);
      return lim < 0 ? items : items.slice(0, lim);
    }
    const index = filter.status !== undefined ? `ost:${filter.status}` : "oall";
    return this.fetchOutbox(strs(await this.cmd(["ZRANGE", this.k(index), "0", stopOf(lim)])));
  }

  async pruneSent(before: number, max: number): Promise<{ deleted: number; done: boolean }> {
    if (max <= 0) return { deleted: 0, done: true };
    const [deleted, seen] = strs(await this.run("pruneSent", [String(before), String(Math.floor(max))])).map(Number);
    return { deleted: deleted ?? 0, done: (seen ?? 0) < max };
  }

  /** "<max wait>;<channel>:<interval ms>:<burst>;…", set by sendBudget.configure ('' for none) */
  private budgets = "";

  /** the channels' send budgets in Redis, booked by the scripts that lease items (claimOHead in redis-scripts.ts) */
  readonly sendBudget: SendBudget = {
    configure: (limits, maxWaitMs) => {
      const parts = Object.entries(limits)
        .filter((e): e is [string, { perSecond: number; burst: number }] => e[1] !== undefined && e[1].perSecond > 0)
        .map(([channel, l]) => `${channel}:${1000 / l.perSecond}:${Math.max(1, l.burst)}`);
      this.budgets = parts.length > 0 ? [String(maxWaitMs), ...parts].join(";") : "";
    },
    pause: async (channel, until) => {
      await this.run("pauseSends", [channel, String(until)]);
    },
  };

  // ---- timers -----------------------------------------------------------------

  async dueTimers(now: number, max: number): Promise<DueTimer[]> {
    if (max <= 0) return [];
    const flat = strs(
      await this.cmd([
        "ZRANGE",
        this.k("timers"),
        "-inf",
        bound(now, false),
        "BYSCORE",
        "LIMIT",
        "0",
        String(Math.floor(max)),
        "WITHSCORES",
      ]),
    );
    const out: DueTimer[] = [];
    for (let i = 0; i + 1 < flat.length; i += 2) {
      const [conversationKey, name, token, channel, chatId] = flat[i]!.split("\n");
      out.push({
        conversationKey: conversationKey!,
        channel: channel as Channel,
        chatId: chatId!,
        name: name!,
        token: token!,
        at: Number(flat[i + 1]),
      });
    }
    return out;
  }

  async markTimerFired(conversationKey: string, name: string, token: string): Promise<void> {
    await this.run("markTimerFired", [conversationKey, name, token]);
  }

  // ---- analytics ----------------------------------------------------------------

  /**
   * The entries behind the funnel, read from its log like stageColumns, with the
   * contacts' ids from cnid (contact number -> id), in SQLite's order: by time, then
   * contact id, then stage name.
   */
  async stageEntries(from: number, to: number, audience?: Audience): Promise<StageEntry[]> {
    const log = await this.funnelLog(from, to, audience);
    const numbers: number[] = [];
    for (let cn = 0; cn < log.contacts; cn++) {
      if (STAGES.some((s) => !Number.isNaN(log.at[s]![cn]!))) numbers.push(cn);
    }
    const ids: (string | null)[] = [];
    for (let i = 0; i < numbers.length; i += 1000) {
      const chunk = numbers.slice(i, i + 1000).map(String);
      ids.push(...arr(await this.cmd(["HMGET", this.k("cnid"), ...chunk])).map(optStr));
    }
    const out: StageEntry[] = [];
    numbers.forEach((cn, i) => {
      const contactId = ids[i];
      const meta = log.metaOf(cn);
      if (!contactId || !meta) return;
      for (const stage of STAGES) {
        const at = log.at[stage]![cn]!;
        if (Number.isNaN(at)) continue;
        out.push(meta.source === undefined ? { contactId, stage, at, audience: meta.audience } : { contactId, stage, at, audience: meta.audience, source: meta.source });
      }
    });
    return out.sort((x, y) => x.at - y.at || cmp(x.contactId, y.contactId) || cmp(x.stage, y.stage));
  }

  /**
   * The funnel from its log (see logStage in redis-scripts.ts): the day strings of the
   * period, the contacts' audience|source numbers and their dictionary, as bytes in
   * three reads, decoded into columns indexed by contact number. A month of a busy
   * shop is a few MB; nothing per entry is allocated.
   */
  async stageColumns(from: number, to: number, audience?: Audience): Promise<StageColumns> {
    const log = await this.funnelLog(from, to, audience);
    const sources: (string | undefined)[] = new Array(log.contacts);
    for (let cn = 0; cn < log.contacts; cn++) sources[cn] = log.metaOf(cn)?.source;
    return { contacts: log.contacts, sources, at: log.at };
  }

  /** the funnel log of a period decoded: first-reached times by contact number, and each number's audience|source (null: filtered out or merged away) */
  private async funnelLog(
    from: number,
    to: number,
    audience?: Audience,
  ): Promise<{ contacts: number; at: Record<StageKey, Float64Array>; metaOf: (cn: number) => { audience: Audience; source: string | undefined } | null }> {
    const first = Math.floor(from / DAY_MS);
    const last = Math.floor((to - 1) / DAY_MS);
    if (!(to > from) || !Number.isFinite(first) || !Number.isFinite(last)) return { contacts: 0, at: emptyColumns(0), metaOf: () => null };
    const days: string[] = [];
    for (let d = first; d <= last; d++) days.push(this.k(`fl:${d}`));
    const bytes = { typeMapping: { [RESP_TYPES.BLOB_STRING]: Buffer } };
    const [logs, fc, fm] = await Promise.all([
      days.length > 0 ? this.link.send(["MGET", ...days], bytes) : Promise.resolve([]),
      this.link.send(["GET", this.k("fc")], bytes),
      this.cmd(["HGETALL", this.k("fm")]),
    ]);
    // meta number -> { audience, source }, or null when the audience is filtered out
    const metas: ({ audience: Audience; source: string | undefined } | null)[] = [null];
    const flat = arr(fm).map(str);
    for (let i = 0; i + 1 < flat.length; i += 2) {
      const meta = flat[i]!;
      const bar = meta.indexOf("|");
      const aud = (bar < 0 ? meta : meta.slice(0, bar)) as Audience;
      metas[Number(flat[i + 1])] = audience !== undefined && aud !== audience ? null : { audience: aud, source: bar < 0 ? undefined : meta.slice(bar + 1) };
    }
    const metaOf = Buffer.isBuffer(fc) ? fc : Buffer.alloc(0);
    const contacts = metaOf.length >> 2;
    const at = emptyColumns(contacts);
    const columns = STAGES.map((s) => at[s]);
    // "<contact>:<stage>:<at>" of records that were taken back (stage + 128): a record
    // and its take-back share a day string, in the order they happened, so a count
    // per key over the log says whether the last word was "reached"
    const disputed = new Set<string>();
    const balance = new Map<string, number>();
    const buffers = arr(logs).filter((b): b is Buffer => Buffer.isBuffer(b));
    const apply = (cn: number, stage: number, t: number) => {
      if (metas[metaOf.readUInt32LE(cn * 4)] == null) return;
      const column = columns[stage];
      if (column && !(column[cn]! <= t)) column[cn] = t;
    };
    for (const pass of [0, 1]) {
      for (const buf of buffers) {
        for (let o = 0; o + LOG_RECORD <= buf.length; o += LOG_RECORD) {
          const cn = buf.readUInt32LE(o);
          const raw = buf[o + 4]!;
          const t = buf.readDoubleLE(o + 5);
          if (t < from || t >= to || cn >= contacts) continue;
          const stage = raw & 127;
          if (pass === 0) {
            if (raw >= 128) disputed.add(`${cn}:${stage}:${t}`);
            continue;
          }
          const key = disputed.size > 0 ? `${cn}:${stage}:${t}` : "";
          if (disputed.has(key)) balance.set(key, (balance.get(key) ?? 0) + (raw >= 128 ? -1 : 1));
          else apply(cn, stage, t);
        }
      }
    }
    for (const [key, n] of balance) {
      if (n <= 0) continue;
      const [cn, stage, t] = key.split(":").map(Number) as [number, number, number];
      apply(cn, stage, t);
    }
    return { contacts, at, metaOf: (cn) => metas[metaOf.readUInt32LE(cn * 4)] ?? null };
  }

  async stepCounts(filter: { audience?: Audience; idleSince?: number }): Promise<{ flow: string; step: string; count: number }[]> {
    const groups = strs(await this.cmd(["SMEMBERS", this.k("sxk")]))
      .map((g) => ({ g, parts: g.split("\n") }))
      .filter(({ parts }) => parts.length === 3 && (filter.audience === undefined || parts[0] === filter.audience));
    const counts = await Promise.all(
      groups.map(({ g }) =>
        filter.idleSince === undefined
          ? this.cmd(["ZCARD", this.k(`sx:${g}`)])
          : this.cmd(["ZCOUNT", this.k(`sx:${g}`), "-inf", bound(filter.idleSince, true)]),
      ),
    );
    const byStep = new Map<string, { flow: string; step: string; count: number }>();
    groups.forEach(({ parts }, i) => {
      const n = Number(counts[i]);
      if (!n) return;
      const flow = parts[1]!;
      const step = parts[2]!;
      const key = `${flow}\n${step}`;
      const row = byStep.get(key);
      if (row) row.count += n;
      else byStep.set(key, { flow, step, count: n });
    });
    return [...byStep.values()].sort((a, b) => cmp(a.flow, b.flow) || cmp(a.step, b.step));
  }

  // ---- lifecycle ------------------------------------------------------------------

  /** fails fast while the connection is down, so /readyz answers at once */
  async ping(): Promise<void> {
    if (!this.link.ready()) throw new Error("redis is not connected");
    await withTimeout(this.cmd(["PING"]), 2000, "redis PING timed out");
  }

  /** flushes what is queued; a server that is gone is not waited for */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (!this.link.ready()) {
      this.link.destroy();
      return;
    }
    try {
      await withTimeout(this.link.close(), 2000, "redis close timed out");
    } catch {
      this.link.destroy();
    }
  }
}
