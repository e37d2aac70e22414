import { afterAll, afterEach, describe, expect, it } from "vitest";
import type { Contact, Conversation, Touchpoint } from "../src/model/domain.ts";
import { RedisStore } from "../src/store/redis.ts";
import { startFakeTelegram, type FakeTelegram } from "./fakes/telegram-api.ts";
import { deliver, repliesByChat, STAFF_TOKEN, staffGet, textUpdate, TG_SECRET, waitUntil } from "./support/load.ts";
import { startRedis, type RedisHandle } from "./support/redis-server.ts";
import { startService, stopAllServices, telegramServiceEnv, tempDir, type ServiceProcess } from "./support/service-process.ts";
import { makeContact } from "./store-fixtures.ts";

/**
 * README, "What several instances share": two service processes (`node --import tsx
 * src/main.ts`, different ports) on one private redis-server and one fake Bot API,
 * as behind a load balancer that sends each webhook to either of them.
 */

interface Rig {
  redis: RedisHandle;
  fake: FakeTelegram;
  a: ServiceProcess;
  b: ServiceProcess;
  store: RedisStore;
}

/** what each test started, for teardown also when it failed half-way */
const started: { redis?: RedisHandle; fake?: FakeTelegram; store?: RedisStore }[] = [];

async function rig(extraEnv: Record<string, string> = {}): Promise<Rig> {
  const parts: { redis?: RedisHandle; fake?: FakeTelegram; store?: RedisStore } = {};
  started.push(parts);
  parts.redis = await startRedis({ appendonly: true });
  parts.fake = await startFakeTelegram();
  const env = { ...telegramServiceEnv({ redisUrl: parts.redis.url, apiRoot: parts.fake.apiRoot, dataDir: tempDir(), secret: TG_SECRET, staffToken: STAFF_TOKEN }), ...extraEnv };
  // the two differ only in their bot token, so the fake can tell who sent what
  const [a, b] = await Promise.all([
    startService({ env: { ...env, TELEGRAM_BOT_TOKEN: "123:A" } }),
    startService({ env: { ...env, TELEGRAM_BOT_TOKEN: "123:B" } }),
  ]);
  parts.store = await RedisStore.connect(parts.redis.url);
  return { redis: parts.redis, fake: parts.fake, a, b, store: parts.store };
}

async function teardown(): Promise<void> {
  await stopAllServices();
  for (const p of started.splice(0)) {
    await p.store?.close().catch(() => {});
    await p.fake?.close().catch(() => {});
    await p.redis?.stop().catch(() => {});
  }
}

afterEach(teardown);
afterAll(teardown);

async function drained(store: RedisStore): Promise<boolean> {
  const [inbound, outbound] = await Promise.all([store.pendingInbound(), store.listOutbox({ status: "pending", limit: 1 })]);
  return inbound === 0 && outbound.length === 0;
}

async function expectNoDeadLetters(r: Rig): Promise<void> {
  expect(await r.store.deadInbound(10)).toEqual([]);
  expect(await r.store.listOutbox({ status: "dead", limit: 10 })).toEqual([]);
  expect(await r.store.listOutbox({ status: "held", limit: 10 })).toEqual([]);
}

const GREETING = /^Здравствуйте!/;
const BY_TOPIC: [string, RegExp][] = [
  ["доставка", /^Привезём курьером/],
  ["цены", /^Батончики — /],
  ["адрес", /^Мы здесь: /],
];

describe("two service processes on one Redis", () => {
  it("one customer's 20 quick messages, alternating between the instances: handled once each, in the order sent", async () => {
    const r = await rig();
    const chat = 7_400_001;
    // "/start", then questions whose answers differ, numbered so each message is its own
    const texts = ["/start", ...Array.from({ length: 19 }, (_, i) => `${BY_TOPIC[i % 3]![0]} #${"bcdefghijklmnopqrstu"[i]}`)];
    const expected = [GREETING, ...Array.from({ length: 19 }, (_, i) => BY_TOPIC[i % 3]![1])];

    // fired one after another without waiting for replies; each webhook to the other instance
    for (const [i, text] of texts.entries()) {
      const target = i % 2 === 0 ? r.a : r.b;
      await deliver(() => target.base, textUpdate(800_000 + i, chat, text));
    }

    await waitUntil(() => (repliesByChat(r.fake).get(String(chat))?.length ?? 0) >= 20, 60_000, () => `replies so far: ${JSON.stringify((repliesByChat(r.fake).get(String(chat)) ?? []).map((t) => t.slice(0, 30)))}`);
    await waitUntil(() => drained(r.store), 60_000, () => "journal or outbox not drained");
    const replies = repliesByChat(r.fake).get(String(chat)) ?? [];
    expect(replies).toHaveLength(20);
    replies.forEach((t, i) => expect(t, `reply ${i + 1} (to «${texts[i]}»)`).toMatch(expected[i]!));

    // the journey, read from either instance: the 20 messages in, in the order sent
    const { contacts } = await staffGet<{ contacts: Contact[] }>(r.b.base, "/api/contacts");
    const contact = contacts.find((c) => c.identities.some((id) => id.channel === "telegram" && id.userId === String(chat)));
    expect(contact).toBeDefined();
    for (const svc of [r.a, r.b]) {
      const journey = await staffGet<{ touchpoints: Touchpoint[]; conversations: Conversation[] }>(svc.base, `/api/contacts/${contact!.id}`);
      expect(journey.touchpoints.filter((t) => t.kind === "message_in").map((t) => t.summary)).toEqual(texts);
      expect(journey.conversations.map((c) => c.key)).toEqual([`telegram:${chat}`]);
    }
    expect(contacts.filter((c) => c.identities.some((id) => id.userId === String(chat)))).toHaveLength(1);
    await expectNoDeadLetters(r);
  }, 120_000);

  it("keeps Telegram's per-bot rate across both instances: 40 customers at once at 5 msg/s, no more than the one bot's budget in any 2 s", async () => {
    const r = await rig({ TELEGRAM_RATE_PER_SECOND: "5" });
    const chats = Array.from({ length: 40 }, (_, i) => 7_700_000 + i);
    // every greeting at once, half through each instance
    await Promise.all(chats.map((chat, i) => deliver(() => (i % 2 === 0 ? r.a : r.b).base, textUpdate(950_000 + i, chat, "/start"))));
    await waitUntil(() => chats.every((c) => (repliesByChat(r.fake).get(String(c))?.length ?? 0) >= 1), 60_000, () => `${repliesByChat(r.fake).size} of 40 chats answered`);
    const sends = r.fake.calls.filter((c) => c.method === "sendMessage" && c.status === 200).map((c) => c.at).sort((x, y) => x - y);
    expect(sends).toHaveLength(40);
    // GCRA at 5/s with a burst of 5: at most 5 + 5 × 2 = 15 sends in any 2 s window (2 of
    // slack for network jitter); each instance limiting only itself would allow twice that
    let most = 0;
    for (let i = 0; i < sends.length; i++) {
      let j = i;
      while (j < sends.length && sends[j]! - sends[i]! < 2000) j++;
      most = Math.max(most, j - i);
    }
    expect(most).toBeLessThanOrEqual(17);
    // Which instance sends is the load's business: one that reserved the budget ahead may
    // send every reply while the other waits its turn (CI saw all 40 from one). Either way
    // the window above holds, and each instance took its 20 webhooks.
    await expectNoDeadLetters(r);
  }, 90_000);

  it("due follow-up timers fire once with both instances polling", async () => {
    const r = await rig();
    // 20 conversations whose `wait` follow-up (→ the menu) is already due, written
    // straight into Redis as a step of the engine would leave them
    const now = Date.now();
    const chats = Array.from({ length: 20 }, (_, i) => 7_500_000 + i);
    await Promise.all(
      chats.map((chat, i) => {
        const contact = makeContact({
          id: `c_timer_${i}`,
          referralCode: `tmr${i}x`,
          identities: [{ channel: "telegram", userId: String(chat), reachable: true }],
          stagesReached: { awareness: now - 60_000 },
          createdAt: now - 60_000,
          updatedAt: now - 60_000,
        });
        const conversation: Conversation = {
          key: `telegram:${chat}`,
          channel: "telegram",
          chatId: String(chat),
          contactId: contact.id,
          flow: "customer",
          step: null,
          awaiting: null,
          vars: {},
          cart: [],
          handoff: null,
          timers: { wait: { at: now - 1, token: `wt_${i}`, target: "customer.menu" } },
          lastInboundAt: now - 60_000,
          hints: {},
          outSeq: 1,
          createdAt: now - 60_000,
          updatedAt: now - 60_000,
        };
        return r.store.commitStep({ conversation, contacts: [contact], touchpoints: [], orders: [], outbox: [] });
      }),
    );

    const got = () => repliesByChat(r.fake);
    await waitUntil(() => chats.every((c) => (got().get(String(c))?.length ?? 0) >= 1), 30_000, () => `${chats.filter((c) => !got().has(String(c))).length} chats without their follow-up`);
    // final once the timers are marked fired and everything they caused is processed and sent
    await waitUntil(
      async () => (await r.store.dueTimers(Date.now(), 100)).length === 0 && (await drained(r.store)),
      30_000,
      () => "timers not all fired, or journal/outbox not drained",
    );
    for (const chat of chats) {
      const texts = got().get(String(chat)) ?? [];
      expect(texts, `chat ${chat}`).toHaveLength(1);
      expect(texts[0]).toMatch(/^Чем помочь\?/);
      const conv = await r.store.getConversation(`telegram:${chat}`);
      expect(conv?.timers.wait).toBeUndefined();
    }
    expect(r.a.alive() && r.b.alive()).toBe(true);
    await expectNoDeadLetters(r);
  }, 90_000);
});
