import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MOMENT_WEIGHT } from "../src/model/domain.ts";
import type { Store, StepCommit } from "../src/store/port.ts";
import { SqliteStore } from "../src/store/sqlite.ts";
import { startHarness, STAFF_TOKEN, type Harness } from "./support/harness.ts";
import { contactByIdentity } from "./support/store.ts";

/**
 * Staff writes go through the conversation's queue. The race of #11: the offline
 * touchpoint API used to commit the contact itself while a worker was in the middle
 * of a step on the same contact; the worker's commit then overwrote the balance with
 * the one it had read, and the bad moment was lost. Here a worker's commit is held
 * open while staff log a bad moment: the balance must still count it.
 */
let h: Harness;
let dir: string;
let hold: { entered: () => void; release: Promise<void> } | null = null;

function holdingStore(inner: SqliteStore): Store {
  return new Proxy(inner, {
    get(target, prop, receiver) {
      if (prop === "commitStep") {
        return async (commit: StepCommit, leases?: Parameters<Store["commitStep"]>[1]) => {
          const h = hold;
          if (h && commit.entryId) {
            hold = null;
            h.entered();
            await h.release;
          }
          return target.commitStep(commit, leases);
        };
      }
      const v = Reflect.get(target, prop, receiver) as unknown;
      return typeof v === "function" ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "frontdesk-writes-"));
  h = await startHarness({ store: holdingStore(SqliteStore.open(join(dir, "frontdesk.db"))) });
});
afterAll(async () => {
  await h?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("an offline touchpoint logged while the bot is mid-step", () => {
  it("keeps its bad moment in the balance (the worker's commit no longer overwrites it)", async () => {
    const user = "8101";
    await h.say("telegram", user, "/start");
    const contact = (await contactByIdentity(h.store, "telegram", user))!;
    const before = contact.balance;

    let entered!: () => void;
    const inCommit = new Promise<void>((r) => (entered = r));
    let release!: () => void;
    hold = { entered, release: new Promise<void>((r) => (release = r)) };
    await h.drivers.telegram.send(user, { text: "меню" });
    await inCommit; // the worker has read the contact and is committing its step

    const res = await h.app.http.inject({
      method: "POST",
      url: `/api/contacts/${contact.id}/touchpoints`,
      headers: { authorization: `Bearer ${STAFF_TOKEN}`, "content-type": "application/json" },
      payload: JSON.stringify({ summary: "Позвонил: курьер опоздал на два часа", via: "call", moment: "bad", by: "olga" }),
    });
    expect(res.statusCode).toBe(202);
    release();
    await h.app.idle();

    const after = (await h.store.getContact(contact.id))!;
    const tps = await h.store.listTouchpoints(contact.id, 1000);
    const offline = tps.filter((t) => t.kind === "offline");
    expect(offline.map((t) => [t.summary, t.channel, t.moment, t.data?.by, t.data?.via])).toEqual([
      ["Позвонил: курьер опоздал на два часа", "offline", "bad", "olga", "call"],
    ]);
    expect(after.balance).toBe(before + MOMENT_WEIGHT.bad);
    // the balance is the sum of every moment in the journey
    expect(after.balance).toBe(tps.reduce((s, t) => s + (t.moment ? MOMENT_WEIGHT[t.moment] : 0), 0));
  });

  it("answers 404 for an unknown contact and 400 for a bad body, writing nothing", async () => {
    const post = (url: string, body: unknown) =>
      h.app.http.inject({ method: "POST", url, headers: { authorization: `Bearer ${STAFF_TOKEN}`, "content-type": "application/json" }, payload: JSON.stringify(body) });
    expect((await post("/api/contacts/ct_nobody/touchpoints", { summary: "x" })).statusCode).toBe(404);
    const contact = (await contactByIdentity(h.store, "telegram", "8101"))!;
    expect((await post(`/api/contacts/${contact.id}/touchpoints`, { summary: "" })).statusCode).toBe(400);
    expect((await post(`/api/contacts/${contact.id}/touchpoints`, { summary: "x", moment: "awful" })).statusCode).toBe(400);
  });
});
