import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { InboundMessage } from "../src/model/inbound.ts";
import type { CommitLeases, StepCommit } from "../src/store/port.ts";
import { SqliteStore } from "../src/store/sqlite.ts";
import { DAY, startHarness, type Harness } from "./support/harness.ts";
import { waitUntil } from "./support/load.ts";
import { contactByIdentity } from "./support/store.ts";

/** Processing rules: one conversation's messages one at a time, in order; a redelivery answered once. */
describe("processing rules", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => h?.close());

  const contactTouchpoints = async (channel: string, user: string) => {
    const contact = await contactByIdentity(h.store, channel as never, await h.platformUser(channel as never, user));
    expect(contact).not.toBeNull();
    return h.store.listTouchpoints(contact!.id, 10_000);
  };

  it("20 messages of one conversation fired at once are handled one by one, in arrival order", async () => {
    // the web chat: the same pipeline as every channel, without Telegram's 1 message/s per chat
    const user = "burst-session-1";
    await h.say("web", user, "/start");
    const session = await h.platformUser("web", user);
    const texts = Array.from({ length: 20 }, (_, i) => `сообщение номер ${i + 1}`);
    const events: InboundMessage[] = texts.map((text, i) => ({
      type: "message",
      channel: "web",
      chatId: session,
      userId: session,
      dedupeKey: `burst-${i}`,
      platformMessageId: `burst-${i}`,
      at: h.clock.now(),
      text,
    }));
    // one batch in arrival order, plus the same 20 again at once over HTTP-like concurrency
    await Promise.all([h.app.ingest(events), h.app.ingest(events.slice().reverse())]);
    await h.app.idle();

    const tps = await contactTouchpoints("web", user);
    const ins = tps.filter((t) => t.kind === "message_in" && t.summary.startsWith("сообщение"));
    expect(ins.map((t) => t.summary)).toEqual(texts); // each once, in order
    // one at a time: every message's replies come before the next message is taken
    const seq = tps.filter((t) => t.kind === "message_in" || t.kind === "message_out").map((t) => t.kind);
    const firstBurst = seq.indexOf("message_in", seq.indexOf("message_in") + 1);
    for (let i = firstBurst; i < seq.length - 1; i++) {
      if (seq[i] === "message_in") expect(seq[i + 1]).toBe("message_out");
    }
  });

  it("20 posts of one chat at once over HTTP: all handled, each answered", async () => {
    const user = "burst-session-2";
    await h.say("web", user, "/start");
    const statuses = await Promise.all(
      Array.from({ length: 20 }, (_, i) => h.drivers.web.send(user, { text: `вопрос ${i + 1}`, deliveryId: `q${900_000 + i}` })),
    );
    expect(statuses.every((s) => s === 202)).toBe(true);
    await h.app.idle();
    const tps = await contactTouchpoints("web", user);
    const ins = tps.filter((t) => t.kind === "message_in" && t.summary.startsWith("вопрос"));
    expect(ins).toHaveLength(20);
    // in update_id order as they arrived: webhook calls were issued in that order
    expect(new Set(ins.map((t) => t.summary)).size).toBe(20);
    const outs = tps.filter((t) => t.kind === "message_out");
    expect(outs.length).toBeGreaterThanOrEqual(21);
  });

  it("the same update delivered twice gets one reply", async () => {
    const user = "5550003";
    await h.say("telegram", user, "/start");
    const before = h.drivers.telegram.replies(user).length;
    const a = await h.drivers.telegram.send(user, { text: "меню", deliveryId: "777001" });
    const b = await h.drivers.telegram.send(user, { text: "меню", deliveryId: "777001" });
    expect([a, b]).toEqual([200, 200]);
    await h.app.idle();
    const got = h.drivers.telegram.replies(user).slice(before);
    expect(got.length).toBeGreaterThan(0);
    const again = await h.say("telegram", user, { text: "меню", deliveryId: "777001" });
    expect(again).toHaveLength(0);
    const tps = await contactTouchpoints("telegram", user);
    expect(tps.filter((t) => t.kind === "message_in" && t.summary === "меню")).toHaveLength(1);
  });

  it("a follow-up is cancelled when the customer writes first", async () => {
    const user = "5550004";
    await h.say("telegram", user, "/start");
    const conv = await h.store.getConversation(`telegram:${user}`);
    // put a pending follow-up on the conversation as a `wait` step would
    await h.store.commitStep({
      contacts: [],
      touchpoints: [],
      orders: [],
      outbox: [],
      conversation: { ...conv!, timers: { ...conv!.timers, wait: { at: h.clock.now() + 60_000, token: "t-cancel", target: "customer.menu" } } },
    });
    await h.say("telegram", user, "меню");
    const afterWrite = await h.store.getConversation(`telegram:${user}`);
    expect(afterWrite!.timers.wait).toBeUndefined();
    const before = h.drivers.telegram.replies(user).length;
    await h.later(120_000);
    expect(h.drivers.telegram.replies(user).length).toBe(before);
  });
});

describe("retention", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ env: { OUTBOX_RETENTION_DAYS: "30" } });
  });
  afterAll(async () => h?.close());

  it("deletes sent replies after OUTBOX_RETENTION_DAYS, keeps the customer's history and conversation, and the chat goes on", async () => {
    const user = "5550101";
    const key = `telegram:${user}`;
    const first = await h.say("telegram", user, "/start");
    expect(first.length).toBeGreaterThan(0);
    const view = async () => (await h.staff("GET", `/api/conversations/${encodeURIComponent(key)}`)).json;
    const sent = (await view()).outbox.length;
    expect(sent).toBe(first.length);

    // sends are stamped with the wall clock; retention cuts on it too
    expect(await h.app.sweep(Date.now() + 29 * DAY)).toBe(0);
    expect((await view()).outbox).toHaveLength(sent);
    expect(await h.app.sweep(Date.now() + 31 * DAY)).toBe(sent);
    const after = await view();
    expect(after.outbox).toEqual([]);
    expect(after.conversation.key).toBe(key);
    const contact = await contactByIdentity(h.store, "telegram", user);
    const tps = await h.store.listTouchpoints(contact!.id, 100);
    expect(tps.filter((t) => t.kind === "message_out").length).toBeGreaterThanOrEqual(sent);

    // the chat carries on where it was: the next reply goes out and is listed
    const next = await h.say("telegram", user, "меню");
    expect(next.length).toBeGreaterThan(0);
    expect((await view()).outbox.map((i: { status: string }) => i.status)).toEqual(next.map(() => "sent"));
  });
});

describe("dead letters", () => {
  // the real embedded store, with one fault switched on from the test: committing a
  // step for the chats in `failing` throws, as an outage of something the step needs would
  const failing = new Set<string>();
  let h: Harness;
  beforeAll(async () => {
    const real = SqliteStore.open(":memory:");
    const store = new Proxy(real, {
      get(target, prop, receiver) {
        if (prop !== "commitStep") return Reflect.get(target, prop, receiver);
        return (commit: StepCommit, leases?: CommitLeases) => {
          const key = commit.conversation?.key;
          if (key && failing.has(key)) return Promise.reject(new Error(`simulated outage for ${key}`));
          return target.commitStep(commit, leases);
        };
      },
    });
    h = await startHarness({ store });
  });
  afterAll(async () => h?.close());

  const deadLetters = async () => (await h.staff("GET", "/api/dead-letters")).json.entries as { entry: { id: string; conversationKey: string; attempts: number }; error: string }[];
  const waitForDead = async (key: string) => {
    let found: Awaited<ReturnType<typeof deadLetters>>[number] | undefined;
    await waitUntil(
      async () => (found = (await deadLetters()).find((d) => d.entry.conversationKey === key)) !== undefined,
      5000,
      () => `no dead letter for ${key}`,
      25,
    );
    return found!;
  };

  it("a message that failed every attempt waits for staff; retried once the cause is fixed, the customer gets the answer", async () => {
    const user = "5550201";
    const key = `telegram:${user}`;
    failing.add(key);
    expect(await h.drivers.telegram.send(user, { text: "/start" })).toBe(200);
    const dead = await waitForDead(key);
    expect(dead).toMatchObject({ entry: { attempts: 5 }, error: `simulated outage for ${key}` });
    expect(h.drivers.telegram.replies(user)).toEqual([]);

    expect((await h.staff("POST", "/api/dead-letters/not-an-id/retry")).status).toBe(400);
    expect((await h.staff("POST", "/api/dead-letters/in_0000000000000000000000/retry")).status).toBe(404);

    failing.delete(key);
    const retried = await h.staff("POST", `/api/dead-letters/${dead.entry.id}/retry`);
    expect(retried.status).toBe(202);
    expect(retried.json.entry).toMatchObject({ conversationKey: key, attempts: 0 });
    await h.app.idle();
    expect(h.drivers.telegram.replies(user).length).toBeGreaterThan(0);
    expect(await deadLetters()).toEqual([]);
    // the id it had is gone: a second retry finds nothing
    expect((await h.staff("POST", `/api/dead-letters/${dead.entry.id}/retry`)).status).toBe(404);
  });

  it("a dismissed dead letter is gone for good: no reply, and a redelivery of it is still a duplicate", async () => {
    const user = "5550202";
    const key = `telegram:${user}`;
    failing.add(key);
    expect(await h.drivers.telegram.send(user, { text: "/start", deliveryId: "880001" })).toBe(200);
    const dead = await waitForDead(key);
    failing.delete(key);
    expect((await h.staff("POST", `/api/dead-letters/${dead.entry.id}/discard`)).json).toEqual({ ok: true });
    expect((await h.staff("POST", `/api/dead-letters/${dead.entry.id}/discard`)).status).toBe(404);
    expect(await deadLetters()).toEqual([]);
    expect(await h.drivers.telegram.send(user, { text: "/start", deliveryId: "880001" })).toBe(200);
    await h.app.idle();
    expect(h.drivers.telegram.replies(user)).toEqual([]);
  });
});
