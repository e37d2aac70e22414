import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";
import type { Channel } from "../model/channel.ts";
import type { InboundEvent, OrderStatusName } from "../model/inbound.ts";
import { conversationKey, journalKey } from "../model/inbound.ts";
import type { OutboxItem, OutboxStatus } from "../model/outbound.ts";
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
  StageColumns,
  StepCommit,
  Store,
  TurnContext,
} from "./port.ts";
import { SENT_AFTER_MAX, type SentAfterPort } from "./sent-after.ts";
import { SCHEMA, SCHEMA_VERSION } from "./sqlite-schema.ts";
import {
  OUTBOX_COLS,
  OUTBOX_STATUSES,
  RowWriter,
  entrySeq,
  newEntryId,
  parse,
  prepareAll,
  toEntry,
  toOutbox,
  type Db,
  type JournalRow,
  type OutboxRow,
  type Statements,
  type Stmt,
} from "./sqlite-statements.ts";
import { REPORT_INDEXES, SqliteReportReads, removeChats } from "./sqlite-report-reads.ts";
import { KeyValueDelegate } from "./kv.ts";
import { SqliteKv } from "./sqlite-kv.ts";
import { DEDUPE_TTL_MS, MAX_MERGE_HOPS, StaleEntryError, emptyColumns, limitOf, mergeContactRecords, mergeDone } from "./shared.ts";

export { DEDUPE_TTL_MS, StaleEntryError } from "./shared.ts";

const PRUNE_EVERY_MS = 60 * 60 * 1000;


export interface SqliteStoreOptions {
  /** wall clock for dedupe-key ages (tests move it); defaults to Date.now */
  clock?: () => number;
  /** how long a writer waits for another process's write lock */
  busyTimeoutMs?: number;
}




/**
 * The embedded store: one SQLite file in WAL mode with synchronous=NORMAL, so a
 * killed process loses nothing it committed and an OS crash at most the last moment.
 * better-sqlite3 is synchronous; the methods are async to share the Store port with
 * Redis. Every write that touches more than one row runs in one IMMEDIATE
 * transaction, which also makes claims safe when several processes share the file.
 */
export class SqliteStore extends KeyValueDelegate implements Store, SentAfterPort {
  readonly kind = "sqlite" as const;
  private readonly s: Statements;
  private readonly contacts: RowWriter;
  private readonly conversations: RowWriter;
  private readonly dynamic = new Map<string, Stmt>();
  private readonly clock: () => number;
  private lastPrune = Number.NEGATIVE_INFINITY;
  protected override readonly kv: SqliteKv;

  private constructor(
    private readonly db: Db,
    opts: SqliteStoreOptions,
  ) {
    super();
    this.clock = opts.clock ?? Date.now;
    this.s = prepareAll(db);
    this.kv = new SqliteKv(db, this.clock);
    this.contacts = new RowWriter(
      db,
      "contacts",
      "id",
      ["phone", "referral_code", "referred_by"],
      ["audience", "source", "balance", "merged_into", "created_at", "updated_at", "data"],
    );
    this.conversations = new RowWriter(
      db,
      "conversations",
      "key",
      ["contact_id"],
      ["flow", "step", "in_handoff", "updated_at", "data"],
    );
  }

  /** `path` is a database file (its folder is created) or ":memory:". */
  static open(path: string, opts: SqliteStoreOptions = {}): SqliteStore {
    const memory = path === ":memory:" || path === "";
    if (!memory) mkdirSync(dirname(path), { recursive: true });
    const db = new Database(path);
    try {
      if (!memory) db.pragma("journal_mode = WAL");
      db.pragma("synchronous = NORMAL");
      db.pragma(`busy_timeout = ${Math.floor(opts.busyTimeoutMs ?? 5000)}`);
      db.pragma("temp_store = MEMORY");
      const version = db.pragma("user_version", { simple: true });
      if (typeof version === "number" && version > SCHEMA_VERSION) {
        throw new Error(`database ${path} has schema version ${version}, newer than this build (${SCHEMA_VERSION})`);
      }
      db.exec(SCHEMA);
      db.exec(REPORT_INDEXES);
      db.pragma(`user_version = ${SCHEMA_VERSION}`);
      return new SqliteStore(db, opts);
    } catch (err) {
      db.close();
      throw err;
    }
  }

  // ---- helpers ---------------------------------------------------------------------

  /** cached statement for queries whose WHERE clause depends on the filter */
  private stmt<R>(sql: string): Database.Statement<unknown[], R> {
    let st = this.dynamic.get(sql);
    if (!st) {
      st = this.db.prepare(sql);
      this.dynamic.set(sql, st);
    }
    return st as Database.Statement<unknown[], R>;
  }

  /**
   * fn as one atomic write (made on first use: fields initialise before the db is set).
   * Writes asked for in the same turn of the event loop commit together (group
   * commit): one IMMEDIATE transaction, each write in its own savepoint, so one that
   * fails rolls back alone. A commit appends every page it dirtied to the WAL, and the
   * journal, outbox and index pages are shared by all chats: with many chats at once
   * one commit for all of them writes a fraction of the pages. Each caller's promise
   * settles after the commit that holds its write.
   */
  private write<A extends unknown[], R>(fn: (...args: A) => R): (...args: A) => Promise<R> {
    let tx: Database.Transaction<(...args: A) => R> | undefined;
    return (...args: A) => this.grouped(() => (tx ??= this.db.transaction(fn))(...args));
  }

  private queued: { run: () => unknown; resolve: (v: unknown) => void; reject: (e: unknown) => void }[] = [];
  private flushing = false;
  private groupTx: Database.Transaction<(jobs: (() => unknown)[]) => ({ ok: true; value: unknown } | { ok: false; err: unknown })[]> | undefined;

  private grouped<R>(run: () => R): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.queued.push({ run, resolve: resolve as (v: unknown) => void, reject });
      if (this.flushing) return;
      this.flushing = true;
      setImmediate(() => this.flush());
    });
  }

  private flush(): void {
    this.flushing = false;
    const jobs = this.queued.splice(0);
    if (jobs.length === 0) return;
    let results;
    try {
      this.groupTx ??= this.db.transaction((runs: (() => unknown)[]) =>
        runs.map((run) => {
          try {
            return { ok: true as const, value: run() }; // nested: a savepoint
          } catch (err) {
            return { ok: false as const, err };
          }
        }),
      );
      results = this.groupTx.immediate(jobs.map((j) => j.run));
    } catch (err) {
      for (const j of jobs) j.reject(err); // closed, or BEGIN / COMMIT failed: none of them happened
      return;
    }
    results.forEach((r, i) => (r.ok ? jobs[i]!.resolve(r.value) : jobs[i]!.reject(r.err)));
  }

  private entryRow(id: string): JournalRow | undefined {
    const seq = entrySeq(id);
    return seq === null ? undefined : this.s.journalGet.get(seq, id);
  }

  /** the entry at `seq` left the queue (done or parked): if it was its conversation's head, mark the next */
  private advanceJournalHead(seq: number, key: string): { seq: number; claimed_until: number | null } | undefined {
    if (this.s.headDelete.run(seq).changes === 0) return undefined;
    const next = this.s.journalOldestPending.get(key);
    if (next) this.s.headInsert.run(next.seq, key, next.claimed_until);
    return next;
  }

  /** lease the conversation's lowest pending outbox item if it is due and nobody holds it */
  private claimOutboxHead(key: string, lease: OutboxLease): OutboxItem | undefined {
    const first = this.s.outboxLowestPending.get(key);
    if (!first || first.ready_at === null || first.ready_at > lease.now) return undefined;
    const until = lease.now + lease.leaseMs;
    const row = this.s.outboxClaim.get(until, until, first.rid);
    return row ? toOutbox(row) : undefined;
  }

  /**
   * Keep ready_at on exactly the lowest pending outbox item of the conversation.
   * Items leave 'pending' with ready_at cleared, so an older mark can only exist when
   * the lowest item is a newcomer (inserted below the head, or requeued).
   */
  private fixOutboxHead(key: string): void {
    const first = this.s.outboxLowestPending.get(key);
    if (!first || first.ready_at === null) {
      for (const marked of this.s.outboxMarkedHeads.all(key)) this.s.outboxSetReady.run(null, marked.rid);
    }
    if (!first) return;
    const ready = Math.max(first.not_before, first.claimed_until ?? 0);
    if (first.ready_at !== ready) this.s.outboxSetReady.run(ready, first.rid);
  }

  private getContactSync(id: string): Contact | null {
    return parse<Contact>(this.s.contactGet.get(id));
  }

  /** the one walk of mergedInto pointers: the contact that stands for the person now */
  private resolve(c: Contact | null): Contact | null {
    let cur = c;
    for (let hops = 0; cur?.mergedInto !== undefined && hops < MAX_MERGE_HOPS; hops++) {
      cur = this.getContactSync(cur.mergedInto);
    }
    return cur?.mergedInto === undefined ? cur : null;
  }

  private upsertConversation(c: Conversation): void {
    this.conversations.write(c.key, {
      contact_id: c.contactId,
      flow: c.flow,
      step: c.step,
      in_handoff: c.handoff ? 1 : 0,
      updated_at: c.updatedAt,
      data: JSON.stringify(c),
    });
  }

  private upsertContact(c: Contact): void {
    this.contacts.write(c.id, {
      phone: c.phone ?? null,
      referral_code: c.referralCode,
      referred_by: c.referredBy ?? null,
      audience: c.audience,
      source: c.source ?? null,
      balance: c.balance,
      merged_into: c.mergedInto ?? null,
      created_at: c.createdAt,
      updated_at: c.updatedAt,
      data: JSON.stringify(c),
    });
    // identities: write only the difference with what the index holds
    const wanted = new Map(c.identities.map((i) => [`${i.channel}\u0000${i.userId}`, i]));
    for (const row of this.s.identitiesOf.all(c.id)) {
      const k = `${row.channel}\u0000${row.user_id}`;
      if (wanted.has(k)) wanted.delete(k);
      else this.s.identityDelete.run(row.channel, row.user_id, c.id);
    }
    for (const i of wanted.values()) this.s.identityPut.run(i.channel, i.userId, c.id);
    if (c.mergedInto !== undefined) return;
    for (const [stage, at] of Object.entries(c.stagesReached)) {
      if (typeof at === "number") this.s.stageUpsert.run(c.id, stage, at);
    }
  }

  private refreshTimers(c: Conversation): void {
    const existing = new Map(this.s.timersOf.all(c.key).map((r) => [r.name, r]));
    for (const [name, t] of Object.entries(c.timers)) {
      const old = existing.get(name);
      existing.delete(name);
      if (old && old.token === t.token) {
        // same timer: keep its fired flag, follow a moved time
        if (old.at !== t.at) this.s.timerMove.run(t.at, c.key, name);
      } else {
        this.s.timerPut.run(c.key, name, t.at, t.token, c.channel, c.chatId);
      }
    }
    for (const name of existing.keys()) this.s.timerDelete.run(c.key, name);
  }

  // ---- inbound journal -------------------------------------------------------

  private readonly enqueueTx = this.write(
    (events: InboundEvent[], now: number, lease: InboundLease | undefined): EnqueueResult => {
      const outcomes: EnqueueOutcome[] = [];
      const claimed: JournalEntry[] = [];
      let seq: number | null = null; // the write lock is held: max(seq)+1 is ours
      for (const e of events) {
        if (this.s.seenInsert.run(journalKey(e), now).changes === 0) {
          outcomes.push("duplicate");
          continue;
        }
        const key = conversationKey(e);
        const hasHead = this.s.journalHasPending.get(key) !== undefined;
        seq = (seq ?? this.s.journalMaxSeq.get()?.seq ?? 0) + 1;
        this.s.journalInsert.run(seq, newEntryId(seq), key, e.at || now, JSON.stringify(e));
        outcomes.push("queued");
        if (hasHead) continue;
        if (lease && claimed.length < lease.max) {
          const until = lease.now + lease.leaseMs;
          this.s.headInsert.run(seq, key, until);
          claimed.push(toEntry(this.s.journalClaim.get(lease.workerId, until, seq)!));
        } else {
          this.s.headInsert.run(seq, key, null);
        }
      }
      return { outcomes, claimed };
    },
  );

  private pruneSeen(now: number): void {
    if (now - this.lastPrune < PRUNE_EVERY_MS) return;
    this.lastPrune = now;
    this.s.seenPrune.run(now - DEDUPE_TTL_MS);
  }

  async enqueue(events: InboundEvent[]): Promise<EnqueueOutcome[]> {
    return (await this.enqueueAndClaim(events)).outcomes;
  }

  async enqueueAndClaim(events: InboundEvent[], lease?: InboundLease): Promise<EnqueueResult> {
    const now = this.clock();
    this.pruneSeen(now);
    if (events.length === 0) return { outcomes: [], claimed: [] };
    return this.enqueueTx(events, now, lease && lease.max > 0 ? lease : undefined);
  }

  private readonly claimInboundTx = this.write(
    (workerId: string, max: number, leaseMs: number, now: number): JournalEntry[] => {
      const until = now + leaseMs;
      const out: JournalEntry[] = [];
      for (const head of this.s.headsReady.all(now, max)) {
        const row = this.s.journalClaim.get(workerId, until, head.seq);
        if (!row) {
          this.advanceJournalHead(head.seq, head.conversation_key); // stale head: repair, skip
          continue;
        }
        this.s.headSetLease.run(until, head.seq);
        out.push(toEntry(row));
      }
      return out;
    },
  );

  async claimInbound(workerId: string, max: number, leaseMs: number, now: number): Promise<JournalEntry[]> {
    if (max <= 0) return [];
    return this.claimInboundTx(workerId, Math.floor(max), leaseMs, now);
  }

  private readonly releaseTx = this.write((entryId: string, error: string, maxAttempts: number): void => {
    const row = this.entryRow(entryId);
    if (!row || row.status === "dead") return;
    if (row.attempts >= maxAttempts) {
      this.s.journalPark.run(error, row.seq);
      this.advanceJournalHead(row.seq, row.conversation_key);
    } else {
      this.s.journalUnclaim.run(error, row.seq);
      this.s.headSetLease.run(null, row.seq);
    }
  });

  async releaseInbound(entryId: string, error: string, maxAttempts: number): Promise<void> {
    await this.releaseTx(entryId, error, maxAttempts);
  }

  async pendingInbound(): Promise<number> {
    return this.s.journalPendingCount.get()?.n ?? 0;
  }

  async deadInbound(limit: number): Promise<{ entry: JournalEntry; error: string }[]> {
    return this.s.journalDead.all(limitOf(limit)).map((row) => ({ entry: toEntry(row), error: row.error ?? "" }));
  }

  /** the dead entry `entryId` leaves the journal; answers it, or undefined when there is none */
  private takeDead(entryId: string): JournalRow | undefined {
    const row = this.entryRow(entryId);
    if (!row || row.status !== "dead") return undefined;
    this.s.journalDelete.run(row.seq);
    return row;
  }

  private readonly retryDeadTx = this.write((entryId: string): JournalEntry | null => {
    const dead = this.takeDead(entryId);
    if (!dead) return null;
    const key = dead.conversation_key;
    const hasHead = this.s.journalHasPending.get(key) !== undefined;
    const seq = (this.s.journalMaxSeq.get()?.seq ?? 0) + 1;
    const id = newEntryId(seq);
    this.s.journalInsert.run(seq, id, key, dead.enqueued_at, dead.event);
    if (!hasHead) this.s.headInsert.run(seq, key, null);
    return toEntry(this.s.journalGet.get(seq, id)!);
  });

  async retryDeadInbound(entryId: string): Promise<JournalEntry | null> {
    return this.retryDeadTx(entryId);
  }

  private readonly discardDeadTx = this.write((entryId: string): boolean => this.takeDead(entryId) !== undefined);

  async discardDeadInbound(entryId: string): Promise<boolean> {
    return this.discardDeadTx(entryId);
  }

  // ---- contacts and conversations -------------------------------------------

  async getConversation(key: string): Promise<Conversation | null> {
    return parse<Conversation>(this.s.conversationGet.get(key));
  }

  async listConversations(filter: {
    inHandoff?: boolean;
    contactId?: string;
    limit?: number;
  }): Promise<Conversation[]> {
    const where: string[] = [];
    const args: unknown[] = [];
    // a literal, so the partial index on handed-off conversations applies
    if (filter.inHandoff !== undefined) where.push(filter.inHandoff ? "in_handoff = 1" : "in_handoff = 0");
    if (filter.contactId !== undefined) {
      where.push("contact_id = ?");
      args.push(filter.contactId);
    }
    const sql = `SELECT data FROM conversations ${where.length ? `WHERE ${where.join(" AND ")}` : ""}
      ORDER BY updated_at DESC, rowid DESC LIMIT ?`;
    return this.stmt<{ data: string }>(sql)
      .all(...args, limitOf(filter.limit))
      .map((r) => JSON.parse(r.data) as Conversation);
  }

  async getContact(id: string): Promise<Contact | null> {
    return this.getContactSync(id);
  }

  async liveContact(id: string): Promise<Contact | null> {
    return this.resolve(this.getContactSync(id));
  }

  async findContactByPhone(phone: string): Promise<Contact | null> {
    return this.resolve(parse<Contact>(this.s.contactByPhone.get(phone)));
  }

  async findContactByReferralCode(code: string): Promise<Contact | null> {
    return this.resolve(parse<Contact>(this.s.contactByReferral.get(code)));
  }

  async listContacts(query: ContactQuery): Promise<Contact[]> {
    const where = ["merged_into IS NULL"];
    const args: unknown[] = [];
    if (query.audience !== undefined) {
      where.push("audience = ?");
      args.push(query.audience);
    }
    if (query.balanceBelow !== undefined) {
      where.push("balance < ?");
      args.push(query.balanceBelow);
    }
    // at-risk lists put the worst balance first; otherwise the most recently active
    const order = query.balanceBelow !== undefined ? "balance ASC, updated_at DESC" : "updated_at DESC, rowid DESC";
    const sql = `SELECT data FROM contacts WHERE ${where.join(" AND ")} ORDER BY ${order} LIMIT ?`;
    return this.stmt<{ data: string }>(sql)
      .all(...args, limitOf(query.limit))
      .map((r) => JSON.parse(r.data) as Contact);
  }

  private readonly mergeTx = this.write((fromId: string, intoId: string, now: number): Contact => {
    const from = this.getContactSync(fromId);
    const into = this.getContactSync(intoId);
    const done = mergeDone(fromId, intoId, from, into);
    if (done) return done;
    const { merged, source } = mergeContactRecords(from!, into!, now);

    // the source first, so its identity rows are free before the target claims them
    this.upsertContact(source);
    this.upsertContact(merged);
    this.s.stagesDelete.run(fromId);
    this.s.touchpointsRepoint.run(intoId, intoId, fromId);
    this.s.ordersRepoint.run(intoId, intoId, fromId);
    this.s.conversationsRepoint.run(intoId, intoId, fromId);
    for (const row of this.s.contactsReferredBy.all(fromId)) {
      const referred = JSON.parse(row.data) as Contact;
      this.upsertContact({ ...referred, referredBy: intoId });
    }
    return merged;
  });

  async mergeContacts(fromId: string, intoId: string): Promise<Contact> {
    return this.mergeTx(fromId, intoId, this.clock());
  }

  // ---- the step commit ---------------------------------------------------------

  private readonly commitTx = this.write((c: StepCommit, leases: CommitLeases | undefined): CommitResult => {
    const result: CommitResult = { next: [], outbox: [] };
    let entry: JournalRow | undefined;
    if (c.entryId !== undefined) {
      entry = this.entryRow(c.entryId);
      if (!entry || entry.status === "dead") throw new StaleEntryError(c.entryId);
    }
    if (c.conversation) this.upsertConversation(c.conversation);
    for (const contact of c.contacts) this.upsertContact(contact);
    for (const t of c.touchpoints) this.s.touchpointInsert.run(t.id, t.contactId, t.at, JSON.stringify(t));
    for (const o of c.orders) {
      this.s.orderUpsert.run(o.id, o.contactId, o.status, o.createdAt, JSON.stringify(o));
    }
    const outboxConversations = new Set<string>();
    for (const item of c.outbox) {
      this.s.outboxInsert.run(
        item.id,
        item.conversationKey,
        item.seq,
        item.channel,
        item.status,
        item.attempts,
        item.notBefore,
        item.lastError ?? null,
        item.platformMessageIds ? JSON.stringify(item.platformMessageIds) : null,
        item.deliveryStatus ?? null,
        JSON.stringify(item),
      );
      outboxConversations.add(item.conversationKey);
    }
    for (const key of outboxConversations) {
      this.fixOutboxHead(key);
      const item = leases?.outbox && this.claimOutboxHead(key, leases.outbox);
      if (item) result.outbox.push(item);
    }
    if (c.conversation) this.refreshTimers(c.conversation);
    if (entry) {
      this.s.journalDelete.run(entry.seq);
      const next = this.advanceJournalHead(entry.seq, entry.conversation_key);
      const lease = leases?.inbound;
      if (next && lease && (next.claimed_until === null || next.claimed_until <= lease.now)) {
        const until = lease.now + lease.leaseMs;
        const row = this.s.journalClaim.get(lease.workerId, until, next.seq);
        if (row) {
          this.s.headSetLease.run(until, next.seq);
          result.next.push(toEntry(row));
        }
      }
    }
    return result;
  });

  async commitStep(commit: StepCommit, leases?: CommitLeases): Promise<CommitResult> {
    return this.commitTx(commit, leases);
  }

  async loadTurn(conversationKey: string, channel: Channel, userId: string, ordersLimit: number): Promise<TurnContext> {
    const conversation = parse<Conversation>(this.s.conversationGet.get(conversationKey));
    const row = this.s.identityGet.get(channel, userId);
    const contact = row ? this.resolve(this.getContactSync(row.contact_id)) : null;
    const orders = contact ? await this.listOrders({ contactId: contact.id, limit: ordersLimit }) : [];
    return { conversation, contact, orders };
  }

  // ---- touchpoints, orders ----------------------------------------------------

  /** the latest `limit` touchpoints (all without a limit), oldest first */
  async listTouchpoints(contactId: string, limit?: number): Promise<Touchpoint[]> {
    return this.s.touchpointsOf.all(contactId, limitOf(limit)).map((r) => JSON.parse(r.data) as Touchpoint);
  }

  async getOrder(id: string): Promise<Order | null> {
    return parse<Order>(this.s.orderGet.get(id));
  }

  async listOrders(filter: { contactId?: string; status?: OrderStatusName; limit?: number }): Promise<Order[]> {
    const where: string[] = [];
    const args: unknown[] = [];
    if (filter.contactId !== undefined) {
      where.push("contact_id = ?");
      args.push(filter.contactId);
    }
    if (filter.status !== undefined) {
      where.push("status = ?");
      args.push(filter.status);
    }
    const sql = `SELECT data FROM orders ${where.length ? `WHERE ${where.join(" AND ")}` : ""}
      ORDER BY created_at DESC, rowid DESC LIMIT ?`;
    return this.stmt<{ data: string }>(sql)
      .all(...args, limitOf(filter.limit))
      .map((r) => JSON.parse(r.data) as Order);
  }

  // ---- outbox -----------------------------------------------------------------

  private readonly claimOutboxTx = this.write((max: number, leaseMs: number, now: number): OutboxItem[] => {
    const until = now + leaseMs;
    const out: OutboxItem[] = [];
    for (const head of this.s.outboxReady.all(now, max)) {
      const row = this.s.outboxClaim.get(until, until, head.rid);
      if (row) out.push(toOutbox(row));
      else this.s.outboxSetReady.run(null, head.rid); // not pending: a stale mark
    }
    return out;
  });

  async claimOutbox(max: number, leaseMs: number, now: number): Promise<OutboxItem[]> {
    if (max <= 0) return [];
    return this.claimOutboxTx(Math.floor(max), leaseMs, now);
  }

  private readonly markSentTx = this.write(
    (id: string, platformMessageIds: string[], now: number, lease: OutboxLease | undefined): OutboxItem[] => {
      const row = this.s.outboxSent.get(JSON.stringify(platformMessageIds), now, id);
      if (!row) return [];
      for (const pid of platformMessageIds) this.s.platformIdPut.run(row.channel, pid, row.rid);
      this.fixOutboxHead(row.conversation_key);
      const next = lease && this.claimOutboxHead(row.conversation_key, lease);
      return next ? [next] : [];
    },
  );

  async markSent(id: string, platformMessageIds: string[], now: number, lease?: OutboxLease): Promise<OutboxItem[]> {
    return this.markSentTx(id, platformMessageIds, now, lease);
  }

  private readonly markRetryTx = this.write((id: string, notBefore: number, error: string, add: number): void => {
    const row = this.s.outboxState.get(id);
    if (!row) return;
    if (row.status === "pending") this.s.outboxRetryPending.run(add, notBefore, error, row.rid);
    else this.s.outboxRetryParked.run(add, notBefore, error, row.rid);
    this.fixOutboxHead(row.conversation_key);
  });

  async markRetry(id: string, notBefore: number, error: string, opts?: RetryOptions): Promise<void> {
    await this.markRetryTx(id, notBefore, error, opts?.countAttempt === false ? 0 : 1);
  }

  private readonly markFailedTx = this.write((id: string, status: "dead" | "held", error: string): void => {
    const row = this.s.outboxFailed.get(status, error, id);
    if (row) this.fixOutboxHead(row.conversation_key);
  });

  async markFailed(id: string, status: Extract<OutboxStatus, "dead" | "held">, error: string): Promise<void> {
    await this.markFailedTx(id, status, error);
  }

  private readonly requeueTx = this.write((id: string, now: number): boolean => {
    const row = this.s.outboxRequeue.get(now, id);
    if (row) this.fixOutboxHead(row.conversation_key);
    return row !== undefined;
  });

  /** held or dead → pending, due now, attempts reset (a staff "send again") */
  async requeueOutbox(id: string, now: number): Promise<boolean> {
    return this.requeueTx(id, now);
  }

  async findOutboxByPlatformId(channel: Channel, platformMessageId: string): Promise<OutboxItem | null> {
    const row = this.s.outboxByPlatformId.get(channel, platformMessageId);
    return row ? toOutbox(row) : null;
  }

  async setDeliveryStatus(id: string, status: string): Promise<void> {
    this.s.outboxDelivery.run(status, id);
  }

  /** in seq order within a conversation; in insertion order across conversations */
  async listOutbox(filter: { status?: OutboxStatus; conversationKey?: string; limit?: number }): Promise<OutboxItem[]> {
    const where: string[] = [];
    const args: unknown[] = [];
    if (filter.status !== undefined) {
      // a literal (from a closed set) lets SQLite use the partial indexes on held/dead
      if (!OUTBOX_STATUSES.includes(filter.status)) return [];
      where.push(`status = '${filter.status}'`);
    }
    if (filter.conversationKey !== undefined) {
      where.push("conversation_key = ?");
      args.push(filter.conversationKey);
    }
    const byChat = filter.conversationKey !== undefined;
    // the staff's held/dead lists read the small partial index, not the whole outbox
    const parked = !byChat && (filter.status === "held" || filter.status === "dead");
    const sent = !byChat && filter.status === "sent";
    const sql = `SELECT ${OUTBOX_COLS} FROM outbox ${parked || sent ? `INDEXED BY outbox_${filter.status}` : ""}
      ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY ${byChat ? "seq" : sent ? "sent_at, rid" : "rid"} LIMIT ?`;
    return this.stmt<OutboxRow>(sql)
      .all(...args, limitOf(filter.limit))
      .map(toOutbox);
  }

  /** SentAfterPort (src/store/sent-after.ts): reads the UNIQUE (conversation_key, seq) index from `afterSeq` on */
  async listSentAfter(conversationKey: string, afterSeq: number, limit: number): Promise<OutboxItem[]> {
    return this.stmt<OutboxRow>(
      `SELECT ${OUTBOX_COLS} FROM outbox WHERE conversation_key = ? AND seq > ? AND status = 'sent' ORDER BY seq LIMIT ?`,
    )
      .all(conversationKey, Math.floor(afterSeq), Math.max(1, Math.min(SENT_AFTER_MAX, Math.floor(limit))))
      .map(toOutbox);
  }

  private readonly pruneSentTx = this.write((before: number, max: number): { deleted: number; done: boolean } => {
    const rows = this.s.outboxSentBefore.all(before, max);
    for (const row of rows) {
      for (const pid of row.platform_ids === null ? [] : (JSON.parse(row.platform_ids) as string[])) {
        this.s.platformIdDelete.run(row.channel, pid, row.rid);
      }
      this.s.outboxDelete.run(row.rid);
    }
    return { deleted: rows.length, done: rows.length < max };
  });

  async pruneSent(before: number, max: number): Promise<{ deleted: number; done: boolean }> {
    if (max <= 0) return { deleted: 0, done: true };
    return this.pruneSentTx(before, Math.floor(max));
  }

  // ---- timers -----------------------------------------------------------------

  async dueTimers(now: number, max: number): Promise<DueTimer[]> {
    if (max <= 0) return [];
    return this.s.timersDue.all(now, Math.floor(max)).map((r) => ({
      conversationKey: r.conversation_key,
      channel: r.channel,
      chatId: r.chat_id,
      name: r.name,
      token: r.token,
      at: r.at,
    }));
  }

  async markTimerFired(conversationKey: string, name: string, token: string): Promise<void> {
    this.s.timerFired.run(conversationKey, name, token);
  }

  // ---- analytics ----------------------------------------------------------------

  /** the first-reached stage rows of a period straight into columns: contacts numbered by their rowid, no ordering, no objects */
  async stageColumns(from: number, to: number, audience?: Audience): Promise<StageColumns> {
    const sql = `SELECT c.rowid, s.stage, s.at, c.source
      FROM stage_entries s JOIN contacts c ON c.id = s.contact_id
      WHERE s.at >= ? AND s.at < ? AND c.merged_into IS NULL ${audience !== undefined ? "AND c.audience = ?" : ""}`;
    const args: unknown[] = audience !== undefined ? [from, to, audience] : [from, to];
    const rows = this.stmt<[number, StageKey, number, string | null]>(sql).raw(true).all(...args) as unknown as [
      number,
      StageKey,
      number,
      string | null,
    ][];
    const number = new Map<number, number>();
    const sources: (string | undefined)[] = [];
    for (const [rowid, , , source] of rows) {
      if (number.has(rowid)) continue;
      number.set(rowid, sources.length);
      sources.push(source ?? undefined);
    }
    const n = sources.length;
    const at = emptyColumns(n);
    for (const [rowid, stage, time] of rows) {
      const column = at[stage];
      if (column) column[number.get(rowid)!] = time;
    }
    return { contacts: n, sources, at };
  }

  async stepCounts(filter: {
    audience?: Audience;
    idleSince?: number;
  }): Promise<{ flow: string; step: string; count: number }[]> {
    const where = ["cv.step IS NOT NULL", "cv.in_handoff = 0"];
    const args: unknown[] = [];
    let join = "";
    if (filter.audience !== undefined) {
      // the covering index holds id and audience: the planner otherwise looks each row up (×1.4)
      join = "JOIN contacts c INDEXED BY contacts_funnel ON c.id = cv.contact_id";
      where.push("c.audience = ?");
      args.push(filter.audience);
    }
    if (filter.idleSince !== undefined) {
      where.push("cv.updated_at < ?");
      args.push(filter.idleSince);
    }
    const sql = `SELECT cv.flow AS flow, cv.step AS step, count(*) AS count FROM conversations cv ${join}
      WHERE ${where.join(" AND ")} GROUP BY cv.flow, cv.step ORDER BY cv.flow, cv.step`;
    return this.stmt<{ flow: string; step: string; count: number }>(sql).all(...args);
  }

  /** `frontdesk demo --reset`: the demo's chats and their contacts, with all that hangs off them (src/cli/demo-reset.ts) */
  removeDemoChats(conversationKeys: string[]): number {
    return removeChats(this.db, conversationKeys);
  }

  private reports?: SqliteReportReads;
  /** the owner's reports' reads (src/store/sqlite-report-reads.ts) */
  reportReads(): SqliteReportReads {
    return (this.reports ??= new SqliteReportReads(this.db));
  }

  // key-value records: KeyValueDelegate (src/store/kv.ts) hands them to this.kv

  // ---- lifecycle ------------------------------------------------------------------

  async ping(): Promise<void> {
    this.s.ping.get();
  }

  /**
   * The embedded store serves one process: leases left by a process that died
   * (kill -9, power loss) belong to nobody. The service releases them on start so
   * those conversations go on at once instead of after the lease (30 s / 60 s).
   * Not for tools that open the file beside a running service (the CLI).
   */
  releaseLeases(): void {
    this.db.exec(`
      UPDATE journal SET claimed_by = NULL, claimed_until = NULL WHERE status = 'pending' AND claimed_until IS NOT NULL;
      UPDATE journal_heads SET claimed_until = NULL WHERE claimed_until IS NOT NULL;
      UPDATE outbox SET claimed_until = NULL, ready_at = CASE WHEN ready_at IS NULL THEN NULL ELSE not_before END
        WHERE status = 'pending' AND claimed_until IS NOT NULL;`);
  }

  async close(): Promise<void> {
    if (!this.db.open) return;
    this.flush(); // writes asked for before close still land
    this.db.pragma("optimize"); // keeps the planner's statistics fresh; cheap
    this.db.close();
  }
}
