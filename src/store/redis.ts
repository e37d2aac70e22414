import pino from "pino";
import type { Logger } from "pino";
import type { OrderStatusName } from "../model/inbound.ts";
import type { Order, Touchpoint } from "../model/domain.ts";
import type { CommitLeases, CommitResult, StepCommit, Store } from "./port.ts";
import { StaleEntryError } from "./shared.ts";
import { SCRIPTS } from "./redis-scripts.ts";
import { PAD } from "./redis-records.ts";
import { arr, conversationArgs, contactArgs, limitOf, optStr, orderArgs, outboxArgs, stopOf, str, strs, toEntries, toOutboxItems, touchpointArgs } from "./redis-codec.ts";
import { openRedisLink, type RedisLink } from "./redis-link.ts";
import { RedisAnalytics } from "./redis-analytics.ts";
import { RedisKv } from "./redis-kv.ts";
import { RedisEventBus } from "../events/redis-bus.ts";
import { RedisReportReads } from "./redis-report-reads.ts";

/*
 * The production store on Redis (node-redis 5, one connection: redis-link.ts). Semantics are those of
 * the SQLite store (sqlite.ts), key for key; test/store-contract/ (one suite per port) holds both to them.
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
 * (active conversations by updatedAt, for stepCounts), P:or:all, P:or:st:<status>,
 * P:rchg (the reports' change log: "c:<id>" / "o:<id>" scored by the write's number
 * from INCR P:rseq, report-cache.ts), P:rt / P:sv (report events, step visits).
 * Members of time-ordered listings are "<12-digit insertion counter>|<id>", so equal
 * times keep SQLite's rowid order.
 * The funnel's own log (stageColumns): P:cn numbers contacts (field cn
 * of P:{p:C}, and P:cnid maps the number back to the id),
 * P:fl:<UTC day> appends a 13-byte record per first-reached stage (and a take-back
 * record when an earlier time replaces it or a merge removes it), P:fc holds each
 * contact number's audience|source number as a u32 (0: merged away), P:fm / P:fmn
 * number those. A month's report reads a few MB of bytes instead of every entry.
 *
 * Atomicity: every write is one Lua script (src/store/lua/, loaded by redis-scripts.ts;
 * EVALSHA, EVAL after a NOSCRIPT), which
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

export interface RedisStoreOptions {
  /** key prefix; lets tests share a server (default "fd") */
  prefix?: string;
  log?: Logger;
  /** wall clock for merge times and enqueue's fallback time (tests fix it); Date.now */
  clock?: () => number;
}

function withTimeout<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/**
 * The Redis store. One connection, commands pipelined by node-redis whenever they are
 * issued in the same tick; every write is one Lua script. While the server is
 * unreachable commands fail fast (webhooks answer 5xx, the platforms redeliver) and
 * the client reconnects with backoff; errors are logged, never thrown out of an
 * event handler. Its methods come by job from the parts it extends (redis-base.ts).
 */
export class RedisStore extends RedisAnalytics implements Store {
  readonly kind = "redis" as const;
  private closed = false;
  protected override readonly kv: RedisKv;

  private constructor(link: RedisLink, clock: () => number) {
    super(link, clock);
    this.kv = new RedisKv(link, link.prefix);
  }

  /** a standalone server or a Redis Cluster (see redis-link.ts), whichever REDIS_URL points at */
  static async connect(url: string, opts: RedisStoreOptions = {}): Promise<RedisStore> {
    const log = opts.log ?? pino({ name: "redis-store", level: "warn" });
    const link = await openRedisLink(url, opts.prefix ?? "fd", log);
    const store = new RedisStore(link, opts.clock ?? Date.now);
    // warm the script cache; a restarted server (or a promoted replica) is refilled on NOSCRIPT
    await Promise.all(Object.values(SCRIPTS).map((s) => link.send(["SCRIPT", "LOAD", s.source])));
    return store;
  }

  /** whether this store runs on a Redis Cluster (all of its keys in the slot of its prefix) */
  get cluster(): boolean {
    return this.link.cluster;
  }

  /** live events for every instance on this Redis: a capped stream, read on a connection of its own */
  openEvents(log: Logger): RedisEventBus {
    return new RedisEventBus(this.link, () => this.link.duplicate(), log);
  }

  /** `frontdesk demo --reset`: the demo's chats and their contacts, with all that hangs off them (lua/remove-chats.lua); answers how many contacts went */
  async removeDemoChats(conversationKeys: string[]): Promise<number> {
    return Number(await this.run("removeChats", [String(conversationKeys.length), ...conversationKeys]));
  }

  private reports?: RedisReportReads;
  /** the owner's reports' reads (src/store/redis-report-reads.ts) */
  reportReads(): RedisReportReads {
    return (this.reports ??= new RedisReportReads(this.link, this.p));
  }

  // key-value records: KeyValueDelegate (src/store/kv.ts) hands them to this.kv

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
    args.push(...conversationArgs(c.conversation));
    args.push(String(c.contacts.length), ...c.contacts.flatMap(contactArgs));
    args.push(String(c.touchpoints.length), ...c.touchpoints.flatMap(touchpointArgs));
    args.push(String(c.orders.length), ...c.orders.flatMap(orderArgs));
    args.push(String(c.outbox.length), ...c.outbox.flatMap(outboxArgs));
    try {
      const reply = arr(await this.run("commit", args));
      const { entries, end } = toEntries(reply, 1, Number(str(reply[0])));
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
