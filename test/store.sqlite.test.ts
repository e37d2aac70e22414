import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { Store } from "../src/store/port.ts";
import { DEDUPE_TTL_MS, SqliteStore } from "../src/store/sqlite.ts";
import { idTime, newId } from "../src/store/ids.ts";
import { makeMessage, storeContract } from "./store-contract/index.ts";

const dir = mkdtempSync(join(tmpdir(), "frontdesk-store-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

storeContract("SqliteStore :memory:", async () => SqliteStore.open(":memory:"));

const paths = new WeakMap<Store, string>();
storeContract(
  "SqliteStore file",
  async () => {
    const path = join(dir, newId("db"), "nested", "frontdesk.db");
    const store = SqliteStore.open(path);
    paths.set(store, path);
    return store;
  },
  {
    reopen: async (old) => {
      const path = paths.get(old)!;
      await old.close();
      const store = SqliteStore.open(path);
      paths.set(store, path);
      return store;
    },
  },
);

describe("SqliteStore specifics", () => {
  it("forgets dedupe keys after the platforms' retry window", async () => {
    let now = Date.now();
    const store = SqliteStore.open(":memory:", { clock: () => now });
    const m = makeMessage();
    expect(await store.enqueue([m])).toEqual(["queued"]);
    now += DEDUPE_TTL_MS - 60_000;
    expect(await store.enqueue([m])).toEqual(["duplicate"]);
    now += 2 * 60 * 60 * 1000;
    expect(await store.enqueue([m])).toEqual(["queued"]);
    await store.close();
  });

  it("opens a file in WAL mode and refuses a schema from a newer build", async () => {
    const path = join(dir, "wal", "x.db");
    const store = SqliteStore.open(path);
    await store.ping();
    await store.close();
    const Database = (await import("better-sqlite3")).default;
    const db = new Database(path);
    expect(db.pragma("journal_mode", { simple: true })).toBe("wal");
    db.pragma("user_version = 999");
    db.close();
    expect(() => SqliteStore.open(path)).toThrow(/schema version 999/);
  });

  it("shares one file between two open stores without handing an entry out twice", async () => {
    const path = join(dir, "shared", "x.db");
    const a = SqliteStore.open(path);
    const b = SqliteStore.open(path);
    await a.enqueue(Array.from({ length: 10 }, (_, i) => makeMessage({ chatId: String(i) })));
    const now = Date.now();
    const got = [
      ...(await a.claimInbound("a", 3, 30_000, now)),
      ...(await b.claimInbound("b", 3, 30_000, now)),
      ...(await a.claimInbound("a", 10, 30_000, now)),
    ];
    expect(new Set(got.map((e) => e.id)).size).toBe(10);
    await a.close();
    await b.close();
  });
});

describe("newId", () => {
  it("makes unique ids that sort in the order they were made", () => {
    const ids = Array.from({ length: 20_000 }, () => newId("ob"));
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);
    expect(ids[0]).toMatch(/^ob_[0-9a-z]{21}$/);
    expect(Math.abs(idTime(ids[0]!) - Date.now())).toBeLessThan(60_000);
  });
});
