import pino from "pino";
import { createClient } from "redis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DeskEvent, EventBus, NewDeskEvent } from "../src/events/bus.ts";
import { LocalEventBus } from "../src/events/local-bus.ts";
import { RedisStore } from "../src/store/redis.ts";
import { SqliteStore } from "../src/store/sqlite.ts";
import { startHarness } from "./support/harness.ts";
import { startRedis, uniquePrefix, type RedisHandle } from "./support/redis-server.ts";

const quiet = pino({ level: "silent" });
const ev = (summary: string, conversationKey = "telegram:1"): NewDeskEvent => ({ at: 1, kind: "message_in", conversationKey, summary });
const summaries = (events: DeskEvent[]) => events.map((e) => e.summary);

/** what every bus does, whichever store it spans */
function busCases(name: string, open: () => Promise<{ a: EventBus; b: EventBus; close: () => Promise<void> }>): void {
  describe(name, () => {
    it("delivers what one side publishes to every subscriber, in order, with increasing cursors", async () => {
      const { a, b, close } = await open();
      const seenA: DeskEvent[] = [];
      const seenB: DeskEvent[] = [];
      const from = await a.head();
      const offA = a.subscribe((e) => seenA.push(e), { after: from });
      const offB = b.subscribe((e) => seenB.push(e), { after: from });
      a.publish([ev("один"), ev("два")]);
      a.publish([ev("три")]);
      await expect.poll(() => summaries(seenB), { timeout: 5000 }).toEqual(["один", "два", "три"]);
      await expect.poll(() => summaries(seenA), { timeout: 5000 }).toEqual(["один", "два", "три"]);
      expect(new Set(seenB.map((e) => e.cursor)).size).toBe(3);
      offA();
      offB();
      await close();
    });

    it("a subscriber that comes back with its last cursor gets exactly what it missed, then live ones", async () => {
      const { a, b, close } = await open();
      const first: DeskEvent[] = [];
      const off = b.subscribe((e) => first.push(e), { after: await b.head() });
      a.publish([ev("seen-1"), ev("seen-2")]);
      await expect.poll(() => first.length, { timeout: 5000 }).toBe(2);
      off();
      a.publish([ev("missed-1"), ev("missed-2")]);
      // the missed ones are in the log before the subscriber returns
      await expect.poll(async () => (await a.head()) !== first[1]!.cursor, { timeout: 5000 }).toBe(true);
      const back: DeskEvent[] = [];
      const off2 = b.subscribe((e) => back.push(e), { after: first[1]!.cursor });
      a.publish([ev("live-1")]);
      await expect.poll(() => summaries(back), { timeout: 5000 }).toEqual(["missed-1", "missed-2", "live-1"]);
      off2();
      await close();
    });

    it("an unknown cursor replays nothing; a listener that throws does not stop the others", async () => {
      const { a, close } = await open();
      a.publish([ev("old")]);
      const got: DeskEvent[] = [];
      a.subscribe(() => {
        throw new Error("broken page");
      });
      a.subscribe((e) => got.push(e), { after: "not-a-cursor" });
      const live: DeskEvent[] = [];
      a.subscribe((e) => live.push(e), { after: await a.head() });
      a.publish([ev("new")]);
      await expect.poll(() => summaries(live), { timeout: 5000 }).toEqual(["new"]);
      // the listener with a cursor of no log was attached live, and heard the same
      await expect.poll(() => summaries(got), { timeout: 5000 }).toContain("new");
      expect(summaries(got)).not.toContain("old");
      await close();
    });
  });
}

busCases("LocalEventBus (embedded store: one process)", async () => {
  const bus = new LocalEventBus(quiet);
  return { a: bus, b: bus, close: () => bus.close() };
});

describe("on Redis", () => {
  let server: RedisHandle;
  beforeAll(async () => {
    server = await startRedis();
  });
  afterAll(async () => {
    await server?.stop();
  });

  const two = async () => {
    const prefix = uniquePrefix();
    const [sa, sb] = await Promise.all([RedisStore.connect(server.url, { prefix }), RedisStore.connect(server.url, { prefix })]);
    const a = sa.openEvents(quiet);
    const b = sb.openEvents(quiet);
    return { a, b, sa, sb, close: async () => void (await Promise.all([a.close(), b.close(), sa.close(), sb.close()])) };
  };
  busCases("RedisEventBus (two instances on one Redis)", two);

  it("reads nothing while nobody listens: the reading connection closes with the last subscriber", async () => {
    const { a, b, close } = await two();
    const admin = createClient({ url: server.url });
    await admin.connect();
    const clients = async () => String(await admin.sendCommand(["CLIENT", "LIST"])).trim().split("\n").length;
    const idle = await clients();
    const off = b.subscribe(() => {});
    await expect.poll(clients, { timeout: 5000 }).toBe(idle + 1);
    a.publish([ev("x")]);
    off();
    await expect.poll(clients, { timeout: 5000 }).toBe(idle);
    await admin.close();
    await close();
  });
});

describe("the service publishes", () => {
  it("each committed touchpoint and each reply that left, with the conversation's key", async () => {
    const h = await startHarness({ store: SqliteStore.open(":memory:") });
    const got: DeskEvent[] = [];
    h.app.events.subscribe((e) => got.push(e));
    await h.say("telegram", "555", "/start");
    const mine = got.filter((e) => e.conversationKey === "telegram:555");
    expect(mine.map((e) => e.kind)).toEqual(expect.arrayContaining(["message_in", "message_out", "sent"]));
    expect(mine.find((e) => e.kind === "message_in")?.summary).toContain("/start");
    const sent = mine.filter((e) => e.kind === "sent");
    expect(sent.length).toBe(mine.filter((e) => e.kind === "message_out").length);
    await h.close();
  });
});
