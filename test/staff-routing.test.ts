import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { staffAction } from "../src/staff/actions.ts";
import { inboxRows } from "../src/staff/inbox.ts";
import { ONLINE_NS, markOnline } from "../src/staff/presence.ts";
import { createRouter, currentOffer } from "../src/staff/routing.ts";
import { startHarness, type Harness } from "./support/harness.ts";
import { addStaff } from "./support/staff.ts";

/**
 * Routing of chats nobody took: the customer's own manager first, else operators
 * online in turn, at most STAFF_MAX_OPEN_CHATS each, and the next one after
 * STAFF_OFFER_AFTER_MINUTES without a take.
 */
let h: Harness;
const MIN = 60_000;
let router: ReturnType<typeof createRouter>;

beforeAll(async () => {
  h = await startHarness({ env: { STAFF_MAX_OPEN_CHATS: "2", STAFF_OFFER_AFTER_MINUTES: "5" } });
  for (const login of ["anna", "boris"]) await addStaff(h.store, login, "operator");
  await addStaff(h.store, "vera", "viewer");
  router = createRouter({ store: h.store, ingest: h.app.ingest, now: h.clock.now }, { maxOpenChats: 2, offerAfterMs: 5 * MIN });
}, 60_000);
afterAll(async () => h?.close());

const online = async (...logins: string[]) => {
  for (const { key } of await h.store.kvList(ONLINE_NS)) await h.store.kvDelete(ONLINE_NS, key);
  for (const l of logins) await markOnline(h.store, l);
};
const offerOf = async (user: string) => (await currentOffer(h.store, `telegram:${user}`))?.to;

describe("routing", () => {
  it("offers nothing while no operator is online (a viewer does not count)", async () => {
    await online("vera");
    await h.say("telegram", "6001", "оператор");
    expect(await router.run()).toBe(0);
    expect(await offerOf("6001")).toBeUndefined();
  });

  it("offers a waiting chat to an operator online, and to the other one after 5 minutes without a take", async () => {
    await online("anna", "boris");
    await router.run();
    const first = await offerOf("6001");
    expect(["anna", "boris"]).toContain(first);
    h.clock.advance(4 * MIN);
    await router.run();
    expect(await offerOf("6001")).toBe(first);
    h.clock.advance(2 * MIN);
    await router.run();
    const second = await offerOf("6001");
    expect(second).toBe(first === "anna" ? "boris" : "anna");
    // the inbox shows the offer
    const [row] = (await inboxRows(h.store)).filter((r) => r.key === "telegram:6001");
    expect(row!.offeredTo).toBe(second);
  });

  it("offers a returning customer to their own manager first", async () => {
    await h.say("telegram", "6002", "оператор");
    await staffAction({ store: h.store, ingest: h.app.ingest, now: h.clock.now }, "telegram:6002", { kind: "handoff_take", by: "boris" }, "boris");
    await staffAction({ store: h.store, ingest: h.app.ingest, now: h.clock.now }, "telegram:6002", { kind: "handback", by: "boris" }, "boris");
    await h.app.idle();
    h.clock.advance(MIN);
    await h.say("telegram", "6002", "оператор");
    await router.run();
    expect(await offerOf("6002")).toBe("boris");
  });

  it("never gives an operator more open chats than the limit", async () => {
    await online("anna");
    // anna takes two chats: she is full
    for (const user of ["6003", "6004"]) {
      await h.say("telegram", user, "оператор");
      await staffAction({ store: h.store, ingest: h.app.ingest, now: h.clock.now }, `telegram:${user}`, { kind: "handoff_take", by: "anna" }, "anna");
    }
    await h.app.idle();
    await h.say("telegram", "6005", "оператор");
    h.clock.advance(6 * MIN);
    await router.run();
    expect(await offerOf("6005")).toBeUndefined();
    await online("anna", "boris");
    await router.run();
    expect(await offerOf("6005")).toBe("boris");
  });
});
