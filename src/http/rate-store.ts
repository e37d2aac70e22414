import type { FastifyRateLimitStore, FastifyRateLimitStoreCtor } from "@fastify/rate-limit";
import type { KeyValuePort } from "../store/kv.ts";

/** The counter of the key-value port: on Redis every instance counts together. */
export type CounterPort = Pick<KeyValuePort, "kvIncr">;

const NS = "ratelimit";
/** keys are at most 200 characters in the key-value port; a long one keeps its head and tail */
const keyOf = (key: string): string => (key.length <= 200 ? key : `${key.slice(0, 120)}…${key.slice(-79)}`);

/**
 * A @fastify/rate-limit store on the store's key-value counters: a fixed window per
 * key that starts with the first request (kvIncr gives a new counter its expiry).
 * No `read`: nothing peeks (the refusal limit keeps its blocked addresses in memory).
 */
export function kvRateStore(kv: CounterPort): FastifyRateLimitStoreCtor {
  class KvRateStore implements FastifyRateLimitStore {
    incr(key: string, cb: (err: Error | null, res?: { current: number; ttl: number }) => void, timeWindow: number): void {
      count(key, 1, timeWindow, cb);
    }
    child(): FastifyRateLimitStore {
      return this;
    }
  }
  function count(key: string, by: number, windowMs: number, cb: (err: Error | null, res?: { current: number; ttl: number }) => void) {
    kv.kvIncr(NS, keyOf(key), by, Math.max(1, Math.floor(windowMs))).then(
      (c) => cb(null, { current: c.value, ttl: c.ttlMs ?? windowMs }),
      (err: unknown) => cb(err instanceof Error ? err : new Error(String(err))),
    );
  }
  return KvRateStore;
}
