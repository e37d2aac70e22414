import type Database from "better-sqlite3";
import type { Contact, Order, Touchpoint } from "../model/domain.ts";
import { ReportRecordCache } from "./report-cache.ts";
import { EventCache, VisitCache, type VisitColumns } from "./report-visits.ts";
import { REPORT_EVENT_MARKS, STEP_VISIT_MARKS, isReportEvent, type ReportReads, type StepVisit } from "./report-reads.ts";

/**
 * The reports' reads on the embedded store. The two indexes are partial indexes on
 * the touchpoints table (no new table, nothing for commitStep to do): SQLite keeps a
 * row in them only when its JSON matches, so a plain message costs nothing and a bot
 * reply one short index entry. The predicates must be written exactly so in queries
 * for the planner to pick the index.
 */
const q = (s: string) => `'${s.replaceAll("'", "''")}'`;
const EVENT_PRED = `(${REPORT_EVENT_MARKS.map((m) => `instr(data, ${q(m)}) > 0`).join(" OR ")})`;
const STEP_PRED = `(instr(data, ${q(STEP_VISIT_MARKS.kind)}) > 0 AND instr(data, ${q(STEP_VISIT_MARKS.step)}) > 0 AND instr(data, ${q(STEP_VISIT_MARKS.staff)}) = 0)`;
const STEP_COLUMNS = "json_extract(data, '$.conversationKey'), json_extract(data, '$.flow'), json_extract(data, '$.step')";

/**
 * run at open: creating them over an existing file indexes what is there. The change
 * log (report-cache.ts) is filled by triggers, so every write of a contact or an
 * order, by any process and any code path, numbers it anew (REPLACE takes a new seq).
 */
const bump = (k: string) =>
  `UPDATE report_changes SET seq = (SELECT coalesce(max(seq), 0) + 1 FROM report_changes) WHERE k = ${k}; ` +
  `INSERT INTO report_changes(k, seq) SELECT ${k}, (SELECT coalesce(max(seq), 0) + 1 FROM report_changes) WHERE NOT EXISTS (SELECT 1 FROM report_changes WHERE k = ${k});`;
// no conflict clause in the triggers: an outer INSERT OR IGNORE would turn a REPLACE into IGNORE
const changeTriggers = (table: string, mark: string) =>
  [
    ["INSERT", "NEW"],
    ["UPDATE", "NEW"],
    ["DELETE", "OLD"],
  ]
    .map(([op, row]) => `CREATE TRIGGER IF NOT EXISTS report_log_${table}_${op!.toLowerCase()} AFTER ${op} ON ${table} BEGIN ${bump(`'${mark}:' || ${row}.id`)} END;`)
    .join("\n");
export const REPORT_INDEXES = `
CREATE INDEX IF NOT EXISTS touchpoints_report_events ON touchpoints(at) WHERE ${EVENT_PRED};
CREATE INDEX IF NOT EXISTS touchpoints_step_visits ON touchpoints(at, seq, ${STEP_COLUMNS}) WHERE ${STEP_PRED};
CREATE TABLE IF NOT EXISTS report_changes (k TEXT PRIMARY KEY, seq INTEGER NOT NULL) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS report_changes_seq ON report_changes(seq);
${changeTriggers("contacts", "c")}
${changeTriggers("orders", "o")}
CREATE TRIGGER IF NOT EXISTS report_log_touchpoints_delete AFTER DELETE ON touchpoints BEGIN ${bump("'t:del'")} END;
`;

export class SqliteReportReads implements ReportReads {
  private readonly contactsSql;
  private readonly ordersSql;
  private readonly eventsSql;
  private readonly visitsSql;
  private readonly cache: ReportRecordCache;
  private readonly visitCache: VisitCache;
  private readonly eventCache: EventCache;

  constructor(db: Database.Database) {
    this.contactsSql = db.prepare<[], { data: string }>("SELECT data FROM contacts WHERE merged_into IS NULL");
    this.ordersSql = db.prepare<[], { contact_id: string; data: string }>("SELECT contact_id, data FROM orders ORDER BY created_at, id");
    this.eventsSql = db.prepare<[number, number], { data: string }>(
      `SELECT data FROM touchpoints INDEXED BY touchpoints_report_events WHERE ${EVENT_PRED} AND at >= ? AND at < ? ORDER BY at, seq`,
    );
    this.visitsSql = db.prepare<[number, number], [number, string, string, string]>(
      `SELECT at, ${STEP_COLUMNS} FROM touchpoints INDEXED BY touchpoints_step_visits WHERE ${STEP_PRED} AND at >= ? AND at < ? ORDER BY at, seq`,
    );
    this.visitsSql.raw(true);
    const headSql = db.prepare<[], { n: number }>("SELECT coalesce(max(seq), 0) AS n FROM report_changes");
    const sinceSql = db.prepare<[number], { seq: number; k: string }>("SELECT seq, k FROM report_changes WHERE seq > ? ORDER BY seq");
    const contactSql = db.prepare<[string], { data: string }>("SELECT data FROM contacts WHERE id = ? AND merged_into IS NULL");
    const orderSql = db.prepare<[string], { contact_id: string; data: string }>("SELECT contact_id, data FROM orders WHERE id = ?");
    const markSql = db.prepare<[], { n: number }>("SELECT coalesce((SELECT seq FROM report_changes WHERE k = 't:del'), 0) AS n");
    const maxTpSql = db.prepare<[], { n: number }>("SELECT coalesce(max(seq), 0) AS n FROM touchpoints");
    const rangeSql = db.prepare<[number, number], [number, number, string | null, string | null, string | null]>(
      `SELECT seq, at, ${STEP_COLUMNS} FROM touchpoints INDEXED BY touchpoints_step_visits WHERE ${STEP_PRED} AND at >= ? AND at < ? ORDER BY at, seq`,
    );
    rangeSql.raw(true);
    // by rowid: only the rows written since
    const afterSql = db.prepare<[number, number], [number, number, string | null, string | null, string | null]>(
      `SELECT seq, at, ${STEP_COLUMNS} FROM touchpoints NOT INDEXED WHERE seq > ? AND ${STEP_PRED} AND at >= ? ORDER BY at, seq`,
    );
    afterSql.raw(true);
    const visitsOf = (rows: [number, number, string | null, string | null, string | null][]) => {
      const out: (StepVisit & { seq: number })[] = [];
      let seq = 0;
      let at = 0;
      for (const [s, a, conversationKey, flow, step] of rows) {
        if (s > seq) seq = s;
        if (a > at) at = a;
        if (conversationKey && flow && step) out.push({ seq: s, at: a, conversationKey, flow, step });
      }
      return { out, seq, at };
    };
    const BIG = Number.MAX_SAFE_INTEGER;
    this.visitCache = new VisitCache({
      deletionMark: async () => String(markSql.get()!.n),
      range: async (from, to) =>
        db.transaction(() => {
          const head = maxTpSql.get()!.n;
          const r = visitsOf(rangeSql.all(from, Number.isFinite(to) ? to : BIG));
          return { items: r.out, cursor: { seq: head, at: r.at } };
        })(),
      after: async (cursor, from) =>
        db.transaction(() => {
          const head = maxTpSql.get()!.n;
          const r = visitsOf(afterSql.all(cursor.seq, from));
          return { items: r.out, cursor: { seq: Math.max(head, cursor.seq), at: r.at } };
        })(),
    });
    const eventRangeSql = db.prepare<[number, number], { seq: number; at: number; data: string }>(
      `SELECT seq, at, data FROM touchpoints INDEXED BY touchpoints_report_events WHERE ${EVENT_PRED} AND at >= ? AND at < ? ORDER BY at, seq`,
    );
    const eventAfterSql = db.prepare<[number, number], { seq: number; at: number; data: string }>(
      `SELECT seq, at, data FROM touchpoints NOT INDEXED WHERE seq > ? AND ${EVENT_PRED} AND at >= ? ORDER BY at, seq`,
    );
    const eventsOf = (rows: { seq: number; at: number; data: string }[]) => {
      let at = 0;
      const events: { seq: number; t: Touchpoint }[] = [];
      for (const r of rows) {
        if (r.at > at) at = r.at;
        const t = JSON.parse(r.data) as Touchpoint;
        if (isReportEvent(t)) events.push({ seq: r.seq, t });
      }
      return { events, at };
    };
    this.eventCache = new EventCache({
      deletionMark: async () => String(markSql.get()!.n),
      range: async (from, to) =>
        db.transaction(() => {
          const head = maxTpSql.get()!.n;
          const r = eventsOf(eventRangeSql.all(from, Number.isFinite(to) ? to : BIG));
          return { items: r.events, cursor: { seq: head, at: r.at } };
        })(),
      after: async (cursor, from) =>
        db.transaction(() => {
          const head = maxTpSql.get()!.n;
          const r = eventsOf(eventAfterSql.all(cursor.seq, from));
          return { items: r.events, cursor: { seq: Math.max(head, cursor.seq), at: r.at } };
        })(),
    });
    this.cache = new ReportRecordCache({
      head: async () => headSql.get()!.n,
      all: async () => ({
        contacts: this.contactsSql.all().map((r) => JSON.parse(r.data) as Contact),
        orders: this.ordersSql.all().map((r) => ({ ...(JSON.parse(r.data) as Order), contactId: r.contact_id })),
      }),
      since: async (after) => {
        const rows = sinceSql.all(after);
        return { keys: rows.map((r) => r.k), head: rows.length ? rows[rows.length - 1]!.seq : after };
      },
      contactsById: async (ids) =>
        ids.map((id) => {
          const r = contactSql.get(id);
          return r ? (JSON.parse(r.data) as Contact) : null;
        }),
      ordersById: async (ids) =>
        ids.map((id) => {
          const r = orderSql.get(id);
          return r ? { ...(JSON.parse(r.data) as Order), contactId: r.contact_id } : null;
        }),
    });
  }

  contacts(): Promise<Contact[]> {
    return this.cache.contacts();
  }

  orders(): Promise<Order[]> {
    return this.cache.orders();
  }

  events(from: number, to: number): Promise<Touchpoint[]> {
    return this.eventCache.between(from, to);
  }

  visitColumns(from: number, to: number): Promise<VisitColumns> {
    return this.visitCache.columns(from, to);
  }

  async stepVisits(from: number, to: number): Promise<StepVisit[]> {
    const rows = this.visitsSql.all(from, to) as unknown as [number, string | null, string | null, string | null][];
    const out: StepVisit[] = [];
    for (const [at, conversationKey, flow, step] of rows) {
      if (conversationKey && flow && step) out.push({ at, conversationKey, flow, step });
    }
    return out;
  }
}

/** deletes chats and their contacts with everything that hangs off them, in one transaction; answers how many contacts went */
export function removeChats(db: Database.Database, conversationKeys: string[]): number {
  const contactOf = db.prepare<[string], { contact_id: string }>("SELECT contact_id FROM conversations WHERE key = ?");
  const run = db.transaction((keys: string[]) => {
    const contacts = new Set<string>();
    for (const k of keys) {
      const row = contactOf.get(k);
      if (row) contacts.add(row.contact_id);
    }
    for (const id of contacts) {
      for (const row of db.prepare<[string], { key: string }>("SELECT key FROM conversations WHERE contact_id = ?").all(id)) {
        for (const t of ["journal", "journal_heads", "outbox", "timers"]) db.prepare(`DELETE FROM ${t} WHERE conversation_key = ?`).run(row.key);
      }
      for (const t of ["conversations", "identities", "stage_entries", "touchpoints", "orders"]) db.prepare(`DELETE FROM ${t} WHERE contact_id = ?`).run(id);
      db.prepare("DELETE FROM contacts WHERE id = ? OR merged_into = ?").run(id, id);
    }
    db.prepare("DELETE FROM outbox_platform_ids WHERE outbox_rid NOT IN (SELECT rid FROM outbox)").run();
    return contacts.size;
  });
  return run(conversationKeys);
}
