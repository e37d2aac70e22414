/**
 * The key-value port's behaviour (src/store/kv.ts), run inside every store's contract
 * suite: SQLite (memory and file), Redis and the Redis Cluster.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Store } from "../../src/store/port.ts";
import { eachStore, type OpenStore } from "./shared.ts";

export function kvContract(open: OpenStore, reopen?: (s: Store) => Promise<Store>): void {
  let store: Store;
  describe("key-value records", () => {
    eachStore(open, (s) => (store = s), () => store);
    kvCases(() => store, reopen ? async () => void (store = await reopen(store)) : undefined);
  });
}

function kvCases(store: () => Store, reopen?: () => Promise<void>): void {
  it("sets, gets, overwrites and deletes a record; a missing one reads null", async () => {
    const s = store();
    expect(await s.kvGet("t", "a")).toBeNull();
    expect(await s.kvSet("t", "a", "1")).toBe(true);
    expect(await s.kvGet("t", "a")).toBe("1");
    expect(await s.kvSet("t", "a", '{"x":"ё"}')).toBe(true);
    expect(await s.kvGet("t", "a")).toBe('{"x":"ё"}');
    expect(await s.kvDelete("t", "a")).toBe(true);
    expect(await s.kvDelete("t", "a")).toBe(false);
    expect(await s.kvGet("t", "a")).toBeNull();
  });

  it("keeps namespaces apart, and keys with colons and spaces stay whole", async () => {
    const s = store();
    await s.kvSet("one", "k:1 x", "a");
    await s.kvSet("two", "k:1 x", "b");
    expect(await s.kvGet("one", "k:1 x")).toBe("a");
    expect(await s.kvGet("two", "k:1 x")).toBe("b");
    expect(await s.kvList("one")).toEqual([{ key: "k:1 x", value: "a" }]);
  });

  it("writes ifAbsent only when the record is missing or expired", async () => {
    const s = store();
    expect(await s.kvSet("t", "once", "first", { ifAbsent: true })).toBe(true);
    expect(await s.kvSet("t", "once", "second", { ifAbsent: true })).toBe(false);
    expect(await s.kvGet("t", "once")).toBe("first");
    await s.kvSet("t", "brief", "x", { ttlMs: 40 });
    await expect.poll(() => s.kvGet("t", "brief"), { timeout: 3000, interval: 20 }).toBeNull();
    expect(await s.kvSet("t", "brief", "again", { ifAbsent: true })).toBe(true);
  });

  it("forgets a record after its ttl: get, list and take no longer see it", async () => {
    const s = store();
    await s.kvSet("exp", "short", "x", { ttlMs: 40 });
    await s.kvSet("exp", "long", "y", { ttlMs: 600_000 });
    await s.kvSet("exp", "ever", "z");
    expect((await s.kvList("exp")).map((e) => e.key)).toEqual(["ever", "long", "short"]);
    await expect.poll(() => s.kvGet("exp", "short"), { timeout: 3000, interval: 20 }).toBeNull();
    expect(await s.kvList("exp")).toEqual([
      { key: "ever", value: "z" },
      { key: "long", value: "y" },
    ]);
    expect(await s.kvTake("exp", "short")).toBeNull();
  });

  it("takes a one-time record once, even when two ask at the same time", async () => {
    const s = store();
    await s.kvSet("codes", "c1", "contact-7", { ttlMs: 60_000 });
    const takes = await Promise.all([s.kvTake("codes", "c1"), s.kvTake("codes", "c1"), s.kvTake("codes", "c1")]);
    expect(takes.filter((t) => t !== null)).toEqual(["contact-7"]);
    expect(await s.kvList("codes")).toEqual([]);
  });

  it("counts: a new counter starts at 0 with its ttl, later adds keep that expiry; concurrent adds all count", async () => {
    const s = store();
    const first = await s.kvIncr("rl", "ip:1", 1, 60_000);
    expect(first.value).toBe(1);
    expect(first.ttlMs).toBeGreaterThan(50_000);
    expect(first.ttlMs).toBeLessThanOrEqual(60_000);
    const later = await s.kvIncr("rl", "ip:1", 5, 1_000_000);
    expect(later.value).toBe(6);
    expect(later.ttlMs).toBeLessThanOrEqual(60_000);
    const many = await Promise.all(Array.from({ length: 20 }, () => s.kvIncr("rl", "burst")));
    expect(many.map((m) => m.value).sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect((await s.kvIncr("rl", "burst", 0)).ttlMs).toBeNull();
    expect(await s.kvGet("rl", "burst")).toBe("20");
    await s.kvIncr("rl", "brief", 1, 40);
    await expect.poll(() => s.kvGet("rl", "brief"), { timeout: 3000, interval: 20 }).toBeNull();
    expect((await s.kvIncr("rl", "brief", 1, 40)).value).toBe(1);
  });

  it("lists a namespace ordered by key, within the limit", async () => {
    const s = store();
    for (const k of ["b", "a", "d", "c"]) await s.kvSet("team", k, k.toUpperCase());
    expect(await s.kvList("team")).toEqual(["a", "b", "c", "d"].map((k) => ({ key: k, value: k.toUpperCase() })));
    expect((await s.kvList("team", 2)).map((e) => e.key)).toEqual(["a", "b"]);
    await s.kvDelete("team", "b");
    await s.kvTake("team", "c");
    expect((await s.kvList("team")).map((e) => e.key)).toEqual(["a", "d"]);
  });

  it("refuses a bad namespace, an empty or over-long key and a bad ttl (a caller's bug)", async () => {
    const s = store();
    await expect(s.kvGet("Bad NS", "k")).rejects.toThrow(/namespace/);
    await expect(s.kvGet("t", "")).rejects.toThrow(/not empty/);
    await expect(s.kvSet("t", "x".repeat(201), "v")).rejects.toThrow(/200/);
    await expect(s.kvSet("t", "k", "v", { ttlMs: -5 })).rejects.toThrow(/positive/);
    await expect(s.kvIncr("t", "k", 1.5)).rejects.toThrow(/whole/);
  });

  it("round-trips any key and value as written", async () => {
    const s = store();
    await fc.assert(
      fc.asyncProperty(fc.string({ minLength: 1, maxLength: 200 }), fc.string({ maxLength: 300 }), async (key, value) => {
        await s.kvSet("prop", key, value);
        expect(await s.kvGet("prop", key)).toBe(value);
        expect(await s.kvTake("prop", key)).toBe(value);
        expect(await s.kvGet("prop", key)).toBeNull();
      }),
      { numRuns: 60 },
    );
  });

  if (reopen) {
    it("keeps records and counters across a restart of the store", async () => {
      await store().kvSet("staff", "anna", '{"role":"owner"}');
      await store().kvIncr("promo", "SPRING", 3);
      await reopen();
      expect(await store().kvGet("staff", "anna")).toBe('{"role":"owner"}');
      expect((await store().kvIncr("promo", "SPRING")).value).toBe(4);
    });
  }
}
