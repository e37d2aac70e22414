import type Database from "better-sqlite3";
import { type KeyValuePort, type KvCounter, type KvEntry, type KvSetOptions, checkKv, listLimit } from "./kv.ts";

/** expired rows are deleted at most this often (reads ignore them meanwhile) */
const SWEEP_EVERY_MS = 10 * 60 * 1000;

export const KV_SCHEMA = `
CREATE TABLE IF NOT EXISTS kv (
  ns         TEXT NOT NULL,
  key        TEXT NOT NULL,
  value      TEXT NOT NULL,
  expires_at INTEGER,
  PRIMARY KEY (ns, key)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS kv_expiry ON kv(expires_at) WHERE expires_at IS NOT NULL;
`;

interface Row {
  value: string;
  expires_at: number | null;
}

/**
 * The key-value port on the embedded store: one table, each call one statement or
 * one transaction (better-sqlite3 is synchronous, so nothing interleaves within it;
 * busy_timeout covers a CLI writing beside the service).
 */
export class SqliteKv implements KeyValuePort {
  private readonly get: Database.Statement<[string, string, number], Row>;
  private readonly upsert: Database.Statement<[string, string, string, number | null]>;
  private readonly del: Database.Statement<[string, string]>;
  private readonly list: Database.Statement<[string, number, number], KvEntry>;
  private readonly sweep: Database.Statement<[number]>;
  private readonly take: (ns: string, key: string, now: number) => string | null;
  private readonly setIfAbsent: (ns: string, key: string, value: string, expires: number | null, now: number) => boolean;
  private readonly incr: (ns: string, key: string, by: number, ttlMs: number | undefined, now: number) => KvCounter;
  private lastSweep = Number.NEGATIVE_INFINITY;

  constructor(
    db: Database.Database,
    private readonly clock: () => number,
  ) {
    db.exec(KV_SCHEMA);
    const live = "(expires_at IS NULL OR expires_at > ?)";
    this.get = db.prepare(`SELECT value, expires_at FROM kv WHERE ns = ? AND key = ? AND ${live}`);
    this.upsert = db.prepare(
      "INSERT INTO kv(ns, key, value, expires_at) VALUES (?, ?, ?, ?) ON CONFLICT(ns, key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at",
    );
    this.del = db.prepare("DELETE FROM kv WHERE ns = ? AND key = ?");
    this.list = db.prepare(`SELECT key, value FROM kv WHERE ns = ? AND ${live} ORDER BY key LIMIT ?`);
    this.sweep = db.prepare("DELETE FROM kv WHERE expires_at IS NOT NULL AND expires_at <= ?");
    this.take = db.transaction((ns: string, key: string, now: number) => {
      const row = this.get.get(ns, key, now);
      this.del.run(ns, key);
      return row?.value ?? null;
    });
    this.setIfAbsent = db.transaction((ns: string, key: string, value: string, expires: number | null, now: number) => {
      if (this.get.get(ns, key, now)) return false;
      this.upsert.run(ns, key, value, expires);
      return true;
    });
    this.incr = db.transaction((ns: string, key: string, by: number, ttlMs: number | undefined, now: number) => {
      const row = this.get.get(ns, key, now);
      const current = row ? Number(row.value) : 0;
      if (!Number.isSafeInteger(current)) throw new Error(`kv ${ns}/${key} holds no counter`);
      const value = current + by;
      const expires = row ? row.expires_at : ttlMs ? now + ttlMs : null;
      this.upsert.run(ns, key, String(value), expires);
      return { value, ttlMs: expires === null ? null : Math.max(0, expires - now) };
    });
  }

  private now(): number {
    const now = this.clock();
    if (now - this.lastSweep > SWEEP_EVERY_MS) {
      this.lastSweep = now;
      this.sweep.run(now);
    }
    return now;
  }

  async kvGet(ns: string, key: string): Promise<string | null> {
    checkKv(ns, key);
    return this.get.get(ns, key, this.now())?.value ?? null;
  }

  async kvSet(ns: string, key: string, value: string, opts: KvSetOptions = {}): Promise<boolean> {
    checkKv(ns, key, opts.ttlMs);
    const now = this.now();
    const expires = opts.ttlMs ? now + opts.ttlMs : null;
    if (opts.ifAbsent) return this.setIfAbsent(ns, key, value, expires, now);
    this.upsert.run(ns, key, value, expires);
    return true;
  }

  async kvDelete(ns: string, key: string): Promise<boolean> {
    checkKv(ns, key);
    const live = this.get.get(ns, key, this.now()) !== undefined;
    this.del.run(ns, key);
    return live;
  }

  async kvTake(ns: string, key: string): Promise<string | null> {
    checkKv(ns, key);
    return this.take(ns, key, this.now());
  }

  async kvIncr(ns: string, key: string, by = 1, ttlMs?: number): Promise<KvCounter> {
    checkKv(ns, key, ttlMs, by);
    return this.incr(ns, key, by, ttlMs, this.now());
  }

  async kvList(ns: string, limit?: number): Promise<KvEntry[]> {
    checkKv(ns);
    return this.list.all(ns, this.now(), listLimit(limit));
  }
}
