import { z } from "zod";

/**
 * Small keyed records with an optional expiry: staff accounts and sessions, web-chat
 * sessions, rate-limit counters, polling markers, one-time codes, file ids. Values are
 * strings (callers store JSON and parse it with zod when they read it back). Expiry
 * runs on the store's wall clock; on Redis every instance sees the same records.
 *
 * Not for what the journey is made of (contacts, conversations, touchpoints, orders):
 * those have their own ports, indexes and atomic step writes.
 */
export interface KeyValuePort {
  kvGet(ns: string, key: string): Promise<string | null>;
  /** write; with ifAbsent only when missing or expired (answers whether it wrote) */
  kvSet(ns: string, key: string, value: string, opts?: KvSetOptions): Promise<boolean>;
  kvDelete(ns: string, key: string): Promise<boolean>;
  /** read and delete in one step, so a one-time code is used once */
  kvTake(ns: string, key: string): Promise<string | null>;
  /**
   * Add `by` (default 1) to a counter; a missing one starts at 0 and gets `ttlMs`.
   * Answers the new value and the ms until it expires (null: never).
   */
  kvIncr(ns: string, key: string, by?: number, ttlMs?: number): Promise<KvCounter>;
  /** live entries of a small namespace (the team, the sources), ordered by key */
  kvList(ns: string, limit?: number): Promise<KvEntry[]>;
}

/**
 * A store's key-value methods handed on to the object that keeps the records
 * (sqlite-kv.ts, redis-kv.ts): both stores extend it instead of spelling the six
 * delegations each.
 */
export abstract class KeyValueDelegate implements KeyValuePort {
  protected abstract readonly kv: KeyValuePort;

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
}

export interface KvSetOptions {
  ttlMs?: number;
  ifAbsent?: boolean;
}
export interface KvCounter {
  value: number;
  ttlMs: number | null;
}
export interface KvEntry {
  key: string;
  value: string;
}

/** kvList answers at most this many entries */
export const KV_LIST_MAX = 10_000;

const Ns = z.string().regex(/^[a-z0-9_.-]{1,40}$/, "a key-value namespace is 1-40 characters of a-z 0-9 _ . -");
const Key = z.string().min(1, "a key-value key is not empty").max(200, "a key-value key is at most 200 characters");
const Ttl = z.number().int("ttlMs is whole milliseconds").positive("ttlMs is positive").optional();
const By = z.number().int("a counter adds whole numbers").safe();

/** Checks every call's arguments the same way on both stores (a bad name is a bug: it throws). */
export function checkKv(ns: string, key?: string, ttlMs?: number, by?: number): void {
  Ns.parse(ns);
  if (key !== undefined) Key.parse(key);
  Ttl.parse(ttlMs);
  if (by !== undefined) By.parse(by);
}

export function listLimit(limit: number | undefined): number {
  return Math.max(1, Math.min(KV_LIST_MAX, Math.floor(limit ?? KV_LIST_MAX)));
}
