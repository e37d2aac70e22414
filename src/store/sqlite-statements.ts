import type Database from "better-sqlite3";
import type { Channel } from "../model/channel.ts";
import type { InboundEvent } from "../model/inbound.ts";
import type { OutboxItem, OutboxStatus } from "../model/outbound.ts";
import type { JournalEntry } from "./port.ts";
import { newId } from "./ids.ts";

/**
 * The embedded store's prepared statements, its rows and how they read back, and the
 * row writer that keeps index rewrites down (sqlite.ts runs them; the tables are in
 * sqlite-schema.ts).
 */

export type Db = Database.Database;
export type Stmt = Database.Statement<unknown[], unknown>;

export interface JournalRow {
  seq: number;
  id: string;
  conversation_key: string;
  status: string;
  attempts: number;
  enqueued_at: number;
  error: string | null;
  event: string;
}

export interface OutboxRow {
  rid: number;
  id: string;
  conversation_key: string;
  status: OutboxStatus;
  attempts: number;
  not_before: number;
  claimed_until: number | null;
  last_error: string | null;
  platform_ids: string | null;
  delivery_status: string | null;
  data: string;
}

export interface TimerRow {
  conversation_key: string;
  name: string;
  at: number;
  token: string;
  channel: Channel;
  chat_id: string;
}

export const OUTBOX_STATUSES: readonly OutboxStatus[] = ["pending", "sent", "held", "dead"];

export const JOURNAL_COLS = "seq, id, conversation_key, status, attempts, enqueued_at, error, event";
export const OUTBOX_COLS =
  "rid, id, conversation_key, status, attempts, not_before, claimed_until, last_error, platform_ids, delivery_status, data";

export function prepareAll(db: Db) {
  const p = <R = unknown>(sql: string) => db.prepare<unknown[], R>(sql);
  return {
    // journal
    seenInsert: p("INSERT INTO seen(key, at) VALUES (?, ?) ON CONFLICT(key) DO NOTHING"),
    seenPrune: p("DELETE FROM seen WHERE at < ?"),
    journalMaxSeq: p<{ seq: number | null }>("SELECT max(seq) AS seq FROM journal"),
    journalHasPending: p<{ one: number }>(
      "SELECT 1 AS one FROM journal WHERE conversation_key = ? AND status = 'pending' LIMIT 1",
    ),
    journalInsert: p(
      `INSERT INTO journal(seq, id, conversation_key, status, attempts, enqueued_at, event)
       VALUES (?, ?, ?, 'pending', 0, ?, ?)`,
    ),
    journalGet: p<JournalRow>(`SELECT ${JOURNAL_COLS} FROM journal WHERE seq = ? AND id = ?`),
    journalClaim: p<JournalRow>(
      `UPDATE journal SET claimed_by = ?, claimed_until = ?, attempts = attempts + 1
       WHERE seq = ? AND status = 'pending' RETURNING ${JOURNAL_COLS}`,
    ),
    journalUnclaim: p("UPDATE journal SET error = ?, claimed_by = NULL, claimed_until = NULL WHERE seq = ?"),
    journalPark: p(
      "UPDATE journal SET status = 'dead', error = ?, claimed_by = NULL, claimed_until = NULL WHERE seq = ?",
    ),
    journalDelete: p("DELETE FROM journal WHERE seq = ?"),
    journalOldestPending: p<{ seq: number; claimed_until: number | null }>(
      `SELECT seq, claimed_until FROM journal WHERE conversation_key = ? AND status = 'pending'
       ORDER BY seq LIMIT 1`,
    ),
    journalPendingCount: p<{ n: number }>("SELECT count(*) AS n FROM journal WHERE status = 'pending'"),
    journalDead: p<JournalRow>(`SELECT ${JOURNAL_COLS} FROM journal WHERE status = 'dead' ORDER BY seq DESC LIMIT ?`),
    headInsert: p("INSERT INTO journal_heads(seq, conversation_key, claimed_until) VALUES (?, ?, ?)"),
    headDelete: p("DELETE FROM journal_heads WHERE seq = ?"),
    headSetLease: p("UPDATE journal_heads SET claimed_until = ? WHERE seq = ?"),
    headsReady: p<{ seq: number; conversation_key: string }>(
      `SELECT seq, conversation_key FROM journal_heads
       WHERE claimed_until IS NULL OR claimed_until <= ? ORDER BY seq LIMIT ?`,
    ),

    // conversations
    conversationGet: p<{ data: string }>("SELECT data FROM conversations WHERE key = ?"),
    conversationsRepoint: p(
      "UPDATE conversations SET contact_id = ?, data = json_set(data, '$.contactId', ?) WHERE contact_id = ?",
    ),

    // contacts
    contactGet: p<{ data: string }>("SELECT data FROM contacts WHERE id = ?"),
    contactByPhone: p<{ data: string }>(
      "SELECT data FROM contacts WHERE phone = ? ORDER BY merged_into IS NOT NULL, created_at LIMIT 1",
    ),
    contactByReferral: p<{ data: string }>(
      "SELECT data FROM contacts WHERE referral_code = ? ORDER BY merged_into IS NOT NULL, created_at LIMIT 1",
    ),
    contactsReferredBy: p<{ data: string }>("SELECT data FROM contacts WHERE referred_by = ?"),
    identityGet: p<{ contact_id: string }>("SELECT contact_id FROM identities WHERE channel = ? AND user_id = ?"),
    identitiesOf: p<{ channel: string; user_id: string }>(
      "SELECT channel, user_id FROM identities WHERE contact_id = ?",
    ),
    identityPut: p(
      `INSERT INTO identities(channel, user_id, contact_id) VALUES (?, ?, ?)
       ON CONFLICT(channel, user_id) DO UPDATE SET contact_id = excluded.contact_id`,
    ),
    identityDelete: p("DELETE FROM identities WHERE channel = ? AND user_id = ? AND contact_id = ?"),
    stageUpsert: p(
      `INSERT INTO stage_entries(contact_id, stage, at) VALUES (?, ?, ?)
       ON CONFLICT(contact_id, stage) DO UPDATE SET at = excluded.at WHERE excluded.at < stage_entries.at`,
    ),
    stagesDelete: p("DELETE FROM stage_entries WHERE contact_id = ?"),

    // touchpoints, orders
    touchpointInsert: p(
      "INSERT INTO touchpoints(id, contact_id, at, data) VALUES (?, ?, ?, ?) ON CONFLICT(id) DO NOTHING",
    ),
    touchpointsOf: p<{ data: string }>(
      `SELECT data FROM (SELECT data, at, seq FROM touchpoints WHERE contact_id = ? ORDER BY at DESC, seq DESC LIMIT ?)
       ORDER BY at, seq`,
    ),
    touchpointsRepoint: p(
      "UPDATE touchpoints SET contact_id = ?, data = json_set(data, '$.contactId', ?) WHERE contact_id = ?",
    ),
    orderUpsert: p(
      `INSERT INTO orders(id, contact_id, status, created_at, data) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT(id) DO UPDATE SET contact_id = excluded.contact_id, status = excluded.status,
         created_at = excluded.created_at, data = excluded.data`,
    ),
    orderGet: p<{ data: string }>("SELECT data FROM orders WHERE id = ?"),
    ordersRepoint: p(
      "UPDATE orders SET contact_id = ?, data = json_set(data, '$.contactId', ?) WHERE contact_id = ?",
    ),

    // outbox
    outboxInsert: p(
      `INSERT INTO outbox(id, conversation_key, seq, channel, status, attempts, not_before, last_error,
         platform_ids, delivery_status, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    outboxLowestPending: p<{ rid: number; not_before: number; claimed_until: number | null; ready_at: number | null }>(
      `SELECT rid, not_before, claimed_until, ready_at FROM outbox
       WHERE conversation_key = ? AND status = 'pending' ORDER BY seq LIMIT 1`,
    ),
    outboxMarkedHeads: p<{ rid: number }>(
      "SELECT rid FROM outbox WHERE conversation_key = ? AND status = 'pending' AND ready_at IS NOT NULL",
    ),
    outboxSetReady: p("UPDATE outbox SET ready_at = ? WHERE rid = ?"),
    outboxReady: p<{ rid: number }>(
      "SELECT rid FROM outbox WHERE ready_at IS NOT NULL AND ready_at <= ? ORDER BY ready_at LIMIT ?",
    ),
    outboxClaim: p<OutboxRow>(
      `UPDATE outbox SET claimed_until = ?, ready_at = max(not_before, ?)
       WHERE rid = ? AND status = 'pending' RETURNING ${OUTBOX_COLS}`,
    ),
    outboxState: p<{ rid: number; status: OutboxStatus; conversation_key: string }>(
      "SELECT rid, status, conversation_key FROM outbox WHERE id = ?",
    ),
    outboxSent: p<{ rid: number; conversation_key: string; channel: string }>(
      `UPDATE outbox SET status = 'sent', platform_ids = ?, sent_at = ?, claimed_until = NULL, ready_at = NULL
       WHERE id = ? RETURNING rid, conversation_key, channel`,
    ),
    // a pending item keeps its status column untouched: writing it would touch the indexes on status
    outboxRetryPending: p(
      `UPDATE outbox SET attempts = attempts + ?, not_before = ?, last_error = ?, claimed_until = NULL, ready_at = NULL
       WHERE rid = ?`,
    ),
    outboxRetryParked: p(
      `UPDATE outbox SET status = 'pending', attempts = attempts + ?, not_before = ?, last_error = ?,
         claimed_until = NULL, ready_at = NULL WHERE rid = ?`,
    ),
    outboxFailed: p<{ conversation_key: string }>(
      `UPDATE outbox SET status = ?, last_error = ?, claimed_until = NULL, ready_at = NULL
       WHERE id = ? RETURNING conversation_key`,
    ),
    outboxRequeue: p<{ conversation_key: string }>(
      `UPDATE outbox SET status = 'pending', attempts = 0, not_before = ?, claimed_until = NULL, ready_at = NULL
       WHERE id = ? AND status IN ('held', 'dead') RETURNING conversation_key`,
    ),
    outboxDelivery: p("UPDATE outbox SET delivery_status = ? WHERE id = ?"),
    outboxSentBefore: p<{ rid: number; channel: string; platform_ids: string | null }>(
      `SELECT rid, channel, platform_ids FROM outbox INDEXED BY outbox_sent
       WHERE status = 'sent' AND sent_at < ? ORDER BY sent_at, rid LIMIT ?`,
    ),
    outboxDelete: p("DELETE FROM outbox WHERE rid = ?"),
    platformIdDelete: p("DELETE FROM outbox_platform_ids WHERE channel = ? AND platform_id = ? AND outbox_rid = ?"),
    outboxByPlatformId: p<OutboxRow>(
      `SELECT ${OUTBOX_COLS} FROM outbox WHERE rid =
         (SELECT outbox_rid FROM outbox_platform_ids WHERE channel = ? AND platform_id = ?)`,
    ),
    platformIdPut: p(
      `INSERT INTO outbox_platform_ids(channel, platform_id, outbox_rid) VALUES (?, ?, ?)
       ON CONFLICT(channel, platform_id) DO UPDATE SET outbox_rid = excluded.outbox_rid`,
    ),

    // timers
    timersOf: p<{ name: string; token: string; at: number }>(
      "SELECT name, token, at FROM timers WHERE conversation_key = ?",
    ),
    timerPut: p(
      `INSERT INTO timers(conversation_key, name, at, token, channel, chat_id, fired) VALUES (?, ?, ?, ?, ?, ?, 0)
       ON CONFLICT(conversation_key, name) DO UPDATE SET at = excluded.at, token = excluded.token,
         channel = excluded.channel, chat_id = excluded.chat_id, fired = 0`,
    ),
    timerMove: p("UPDATE timers SET at = ? WHERE conversation_key = ? AND name = ?"),
    timerDelete: p("DELETE FROM timers WHERE conversation_key = ? AND name = ?"),
    timersDue: p<TimerRow>(
      `SELECT conversation_key, name, at, token, channel, chat_id FROM timers
       WHERE fired = 0 AND at <= ? ORDER BY at LIMIT ?`,
    ),
    timerFired: p("UPDATE timers SET fired = 1 WHERE conversation_key = ? AND name = ? AND token = ?"),

    ping: p("SELECT 1"),
  };
}

export type Statements = ReturnType<typeof prepareAll>;

export function parse<T>(row: { data: string } | undefined): T | null {
  return row ? (JSON.parse(row.data) as T) : null;
}

export function toEntry(row: JournalRow): JournalEntry {
  return {
    id: row.id,
    conversationKey: row.conversation_key,
    event: JSON.parse(row.event) as InboundEvent,
    enqueuedAt: row.enqueued_at,
    attempts: row.attempts,
  };
}

/** The JSON holds the item as inserted; the columns hold its delivery state since. */
export function toOutbox(row: OutboxRow): OutboxItem {
  const item = JSON.parse(row.data) as OutboxItem;
  item.status = row.status;
  item.attempts = row.attempts;
  item.notBefore = row.not_before;
  if (row.last_error !== null) item.lastError = row.last_error;
  else delete item.lastError;
  if (row.platform_ids !== null) item.platformMessageIds = JSON.parse(row.platform_ids) as string[];
  else delete item.platformMessageIds;
  if (row.delivery_status !== null) item.deliveryStatus = row.delivery_status;
  else delete item.deliveryStatus;
  return item;
}

/** journal ids end in "-<seq base36>": the row is found by its primary key */
export function newEntryId(seq: number): string {
  return `${newId("in")}-${seq.toString(36)}`;
}

export function entrySeq(id: string): number | null {
  const dash = id.lastIndexOf("-");
  if (dash < 0) return null;
  const n = parseInt(id.slice(dash + 1), 36);
  return Number.isSafeInteger(n) && n > 0 ? n : null;
}

export type SqlValue = string | number | null;

/**
 * An upsert that names an indexed column in its UPDATE only when the value changed:
 * SQLite rewrites an index whose column is SET even to the same value, and every
 * rewritten page is one more WAL frame per step.
 */
export class RowWriter {
  private readonly read: Database.Statement<unknown[], Record<string, unknown>>;
  private readonly insert: Stmt;
  private readonly updates = new Map<number, Stmt>();

  constructor(
    private readonly db: Db,
    private readonly table: string,
    private readonly key: string,
    private readonly indexed: readonly string[],
    private readonly plain: readonly string[],
  ) {
    const cols = [key, ...indexed, ...plain];
    this.read = db.prepare(`SELECT ${indexed.join(", ")} FROM ${table} WHERE ${key} = ?`);
    this.insert = db.prepare(`INSERT INTO ${table}(${cols.join(", ")}) VALUES (${cols.map(() => "?").join(", ")})`);
  }

  write(keyValue: string, row: Record<string, SqlValue>): void {
    const old = this.read.get(keyValue);
    if (!old) {
      this.insert.run(keyValue, ...this.indexed.map((c) => row[c]), ...this.plain.map((c) => row[c]));
      return;
    }
    let mask = 0;
    const changed: SqlValue[] = [];
    this.indexed.forEach((c, i) => {
      if (old[c] !== row[c]) {
        mask |= 1 << i;
        changed.push(row[c] ?? null);
      }
    });
    let update = this.updates.get(mask);
    if (!update) {
      const cols = [...this.indexed.filter((_, i) => mask & (1 << i)), ...this.plain];
      update = this.db.prepare(`UPDATE ${this.table} SET ${cols.map((c) => `${c} = ?`).join(", ")} WHERE ${this.key} = ?`);
      this.updates.set(mask, update);
    }
    update.run(...changed, ...this.plain.map((c) => row[c]), keyValue);
  }
}
