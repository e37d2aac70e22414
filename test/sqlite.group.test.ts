import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { SqliteStore } from "../src/store/sqlite.ts";
import { makeCommit, makeContact, makeMessage, makeOutboxItem } from "./store-fixtures.ts";

/** The embedded store's group commit: writes of one event-loop turn share a transaction. */
describe("SQLite group commit", () => {
  it("a write that fails in a shared transaction rolls back alone; the others land", async () => {
    const store = SqliteStore.open(":memory:");
    const a = makeOutboxItem({ chatId: "a", seq: 1 });
    const taken = makeOutboxItem({ chatId: "a", seq: 1 }); // same seq of the same chat: refused
    const c = makeContact();
    // asked for in the same turn: one transaction, a savepoint each
    const results = await Promise.allSettled([
      store.commitStep(makeCommit({ outbox: [a] })),
      store.commitStep(makeCommit({ outbox: [taken], contacts: [c] })),
      store.enqueue([makeMessage({ chatId: "b" })]),
    ]);
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    expect((await store.listOutbox({ conversationKey: "telegram:a" })).map((i) => i.id)).toEqual([a.id]);
    expect(await store.getContact(c.id)).toBeNull(); // the refused step wrote nothing
    expect(await store.pendingInbound()).toBe(1);
    await store.close();
  });

  it("writes asked for just before close still land; after close they fail instead of crashing", async () => {
    const dir = mkdtempSync(join(tmpdir(), "fd-group-"));
    const file = join(dir, "store.db");
    const store = SqliteStore.open(file);
    const queued = store.enqueue([makeMessage({ chatId: "c" })]);
    await store.close();
    expect(await queued).toEqual(["queued"]);
    await expect(store.enqueue([makeMessage({ chatId: "d" })])).rejects.toThrow();
    const again = SqliteStore.open(file);
    expect(await again.pendingInbound()).toBe(1);
    await again.close();
    rmSync(dir, { recursive: true, force: true });
  });
});
