import { connect } from "node:net";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { RedisStore } from "../src/store/redis.ts";
import { startFakeTelegram, type FakeTelegram } from "./fakes/telegram-api.ts";
import {
  deliver,
  pool,
  postUpdate,
  repliesByChat,
  STAFF_TOKEN,
  staffGet,
  textUpdate,
  TG_SECRET,
  waitUntil,
  type TgUpdate,
} from "./support/load.ts";
import { startRedis, type RedisHandle } from "./support/redis-server.ts";
import {
  startService,
  statusOf,
  stopAllServices,
  telegramServiceEnv,
  tempDir,
  type Exit,
  type ServiceProcess,
} from "./support/service-process.ts";

/**
 * README, "Production: Redis and several instances", with real parts: the service as
 * `node --import tsx src/main.ts` on a private redis-server (AOF, fsync every second),
 * Telegram customers over the webhook and a fake Bot API. The test plays Telegram's
 * side too: an update that did not get a 2xx is delivered again with its update_id.
 *
 * Every customer message here gets exactly one reply with the default shop (checked
 * by experiment: "/start" → the greeting, «меню» → the menu, «доставка» → delivery).
 */

/** the sender's pump concurrency (src/app.ts): at most this many sends are in hand at a crash */
const SENDER_CONCURRENCY = 32;
const AFTER_TOKEN = "123:AFTER";

interface Rig {
  redis: RedisHandle;
  fake: FakeTelegram;
  env: Record<string, string>;
  store?: RedisStore;
}

/** what each test started, closed in teardown also when the test failed half-way */
const cleanups: (() => Promise<void>)[] = [];

async function rig(): Promise<Rig> {
  const redis = await startRedis({ appendonly: true });
  cleanups.push(() => redis.stop());
  const fake = await startFakeTelegram();
  cleanups.push(() => fake.close());
  const env = telegramServiceEnv({ redisUrl: redis.url, apiRoot: fake.apiRoot, dataDir: tempDir(), secret: TG_SECRET, staffToken: STAFF_TOKEN });
  const r: Rig = { redis, fake, env };
  cleanups.push(async () => r.store?.close());
  return r;
}

async function teardown(): Promise<void> {
  await stopAllServices();
  for (const close of cleanups.splice(0).reverse()) await close().catch(() => {});
}

afterEach(teardown);
afterAll(teardown);

/** the test's own view of the store, to know when everything was processed and sent */
async function storeOf(r: Rig): Promise<RedisStore> {
  r.store ??= await RedisStore.connect(r.redis.url);
  return r.store;
}

async function drained(store: RedisStore): Promise<boolean> {
  const [inbound, outbound] = await Promise.all([store.pendingInbound(), store.listOutbox({ status: "pending", limit: 1 })]);
  return inbound === 0 && outbound.length === 0;
}

/** nothing parked: no dead journal entries, no dead or held replies (store and staff API agree) */
async function expectNoDeadLetters(store: RedisStore, svc: ServiceProcess): Promise<void> {
  expect(await store.deadInbound(10)).toEqual([]);
  expect(await store.listOutbox({ status: "dead", limit: 10 })).toEqual([]);
  expect(await store.listOutbox({ status: "held", limit: 10 })).toEqual([]);
  expect((await staffGet<{ entries: unknown[] }>(svc.base, "/api/dead-letters")).entries).toEqual([]);
  expect((await staffGet<{ items: unknown[] }>(svc.base, "/api/outbox?status=dead")).items).toEqual([]);
}

/** SHUTDOWN (Redis flushes the AOF and exits), then wait until the port refuses connections */
async function shutdownRedis(port: number): Promise<void> {
  await new Promise<void>((resolve) => {
    const sock = connect(port, "127.0.0.1", () => sock.write("SHUTDOWN\r\n"));
    sock.on("data", () => {}); // SHUTDOWN answers by closing; a refusal fails the wait below
    sock.once("close", () => resolve());
    sock.once("error", () => resolve());
  });
  await waitUntil(
    () =>
      new Promise<boolean>((resolve) => {
        const probe = connect(port, "127.0.0.1");
        probe.once("connect", () => {
          probe.destroy();
          resolve(false);
        });
        probe.once("error", () => resolve(true));
      }),
    10_000,
    () => `redis on ${port} still accepts connections after SHUTDOWN`,
    20,
  );
}

function chatsWithout(fake: FakeTelegram, chats: number[], n: number): number[] {
  const replies = repliesByChat(fake);
  return chats.filter((c) => (replies.get(String(c))?.length ?? 0) < n);
}

describe("Redis in production: crashes and outages with real processes", () => {
  it("kill -9 during a burst from 500 customers: after a restart every customer is answered, once but for replies in flight at the crash", async () => {
    const r = await rig();
    let svc = await startService({ env: r.env });
    const N = 500;
    const chats = Array.from({ length: N }, (_, i) => 7_100_000 + i);
    const updates = chats.map((chat, i) => textUpdate(500_000 + i, chat, "/start"));

    // The burst: 50 in flight; SIGKILL once 200 were acknowledged; what was not even
    // sent by then is what the platform still holds.
    const status = new Map<number, number>();
    let acked = 0;
    let crash: Promise<Exit> | undefined;
    await pool(updates, 50, async (u) => {
      if (crash) return;
      const s = await postUpdate(svc.base, u, 15_000);
      status.set(u.update_id, s);
      if (s === 200 && ++acked === 200) crash = svc.kill();
    });
    expect(crash, "the burst ended before 200 acknowledgements").toBeDefined();
    expect((await crash!).signal).toBe("SIGKILL");
    const ackedIds = [...status].filter(([, s]) => s === 200).map(([id]) => id);
    const pending = updates.filter((u) => status.get(u.update_id) !== 200);
    expect(ackedIds.length).toBeGreaterThanOrEqual(200);
    expect(pending.length).toBeGreaterThan(0);

    // A new process on the same address; the platform redelivers everything not
    // acknowledged, and (as Telegram may) a sample of what was. The new process only
    // differs in its bot token, so the fake can tell who sent what.
    svc = await startService({ env: { ...r.env, TELEGRAM_BOT_TOKEN: AFTER_TOKEN }, port: svc.port });
    const sample = updates.filter((u) => ackedIds.includes(u.update_id)).filter((_, i) => i % 4 === 0);
    const redelivered = await pool([...pending, ...sample], 50, (u) => deliver(() => svc.base, u));
    // the acknowledged ones are duplicates now: answered 200 at once
    for (const statuses of redelivered.slice(pending.length)) expect(statuses).toEqual([200]);

    // Replies the dead process had in hand wait out their outbox lease (60 s) first.
    await waitUntil(() => chatsWithout(r.fake, chats, 1).length === 0, 110_000, () => `no reply yet for ${chatsWithout(r.fake, chats, 1).length} chats`);
    const store = await storeOf(r);
    await waitUntil(() => drained(store), 70_000, () => "journal or outbox not drained");

    const replies = repliesByChat(r.fake);
    const sends = r.fake.calls.filter((c) => c.method === "sendMessage" && c.status === 200);
    const twice: string[] = [];
    for (const chat of chats) {
      const texts = replies.get(String(chat)) ?? [];
      expect(texts.length, `chat ${chat}`).toBeGreaterThanOrEqual(1);
      expect(texts[0], `chat ${chat}`).toMatch(/^Здравствуйте!/);
      if (texts.length > 1) twice.push(String(chat));
    }
    // Nothing duplicated, except what cannot be known: Telegram's sendMessage has no
    // idempotency key, so a reply the platform accepted in the instant before the crash,
    // before the process recorded it as sent, goes again after its lease. Only a send
    // in hand at the crash can be such a one: its first copy came before the crash, the
    // second after the restart, and there are at most SENDER_CONCURRENCY of them.
    for (const chat of twice) {
      const copies = sends.filter((c) => String(c.params.chat_id) === chat).map((c) => c.token);
      expect(copies, `chat ${chat}: one copy from the killed process, one from the new`).toEqual([r.env.TELEGRAM_BOT_TOKEN, AFTER_TOKEN]);
    }
    expect(twice.length).toBeLessThanOrEqual(SENDER_CONCURRENCY);
    if (twice.length > 0) console.warn(`kill -9: ${twice.length} reply(ies) in flight at the crash were sent twice: ${twice.join(", ")}`);

    await expectNoDeadLetters(store, svc);
    expect(await svc.stop()).toEqual({ code: 0, signal: null });
  }, 180_000);

  it("Redis shut down and restarted during a burst from 300 customers: the service lives on, every customer has exactly one reply", async () => {
    const r = await rig();
    const svc = await startService({ env: r.env });
    const N = 300;
    const chats = Array.from({ length: N }, (_, i) => 7_200_000 + i);
    const updates = chats.map((chat, i) => textUpdate(600_000 + i, chat, "/start"));

    // Redis goes down (SHUTDOWN: the AOF is flushed) once 100 updates were acknowledged,
    // at the moment a reply is on its way: the Bot API answers that send only after
    // Redis is gone, so the service learns "sent" while it cannot write it down (what a
    // restart mid-burst does to whichever sends are in flight, made certain here).
    let acked = 0;
    let failedDuringOutage = 0;
    let down = false;
    let outage: Promise<{ readyz: number }> | undefined;
    let messageId = 1;
    r.fake.on("sendMessage", async (params) => {
      if (acked >= 100 && !outage) {
        outage = (async () => {
          await shutdownRedis(r.redis.port);
          down = true;
          // what a load balancer sees meanwhile: 503 or no answer, never 200
          const readyz = await statusOf(`${svc.base}/readyz`, 2_000);
          // let the platform's webhooks meet the outage before Redis comes back
          await waitUntil(() => failedDuringOutage >= 10 || acked === N, 20_000, () => "no webhook failed during the outage");
          await r.redis.restart();
          down = false;
          return { readyz };
        })();
        await waitUntil(() => down, 20_000, () => "redis did not go down");
      }
      return { message_id: messageId++, date: Math.floor(Date.now() / 1000), chat: { id: Number(params.chat_id), type: "private" }, text: params.text };
    });

    // the platform retries each update until a 2xx, with the same update_id
    const attempts = await pool(updates, 50, async (u: TgUpdate) => {
      const statuses = await deliver(() => svc.base, u, { deadlineMs: 60_000, onFailure: () => down && failedDuringOutage++ });
      acked++;
      return statuses;
    });
    expect(outage, "the outage never started").toBeDefined();
    const { readyz } = await outage!;
    expect([0, 503]).toContain(readyz);
    const redelivered = attempts.filter((s) => s.length > 1).length;
    expect(redelivered).toBeGreaterThan(0);

    // still the same process, ready again
    expect(svc.alive(), svc.output().slice(-4000)).toBe(true);
    await waitUntil(async () => (await statusOf(`${svc.base}/readyz`)) === 200, 30_000, () => "/readyz not 200 after the restart");

    // a step or send in hand during the outage may wait out its lease (30 s / 60 s)
    await waitUntil(() => chatsWithout(r.fake, chats, 1).length === 0, 110_000, () => `no reply yet for ${chatsWithout(r.fake, chats, 1).length} chats`);
    const store = await storeOf(r);
    await waitUntil(() => drained(store), 70_000, () => "journal or outbox not drained");

    const replies = repliesByChat(r.fake);
    const wrong = chats.filter((c) => replies.get(String(c))?.length !== 1).map((c) => `${c}: ${replies.get(String(c))?.length ?? 0} replies`);
    const detail = wrong.length === 0 ? "" : `\n${r.fake.calls.filter((c) => wrong.some((w) => w.startsWith(String(c.params.chat_id)))).map((c) => `${c.at} ${c.method} ${c.status} ${c.params.chat_id} ${String(c.params.text).slice(0, 30)}`).join("\n")}\n${svc.output().slice(-3000)}`;
    expect(wrong, `chats without exactly one reply (${redelivered} updates were redelivered)${detail}`).toEqual([]);
    for (const chat of chats) expect(replies.get(String(chat))![0]).toMatch(/^Здравствуйте!/);
    expect(svc.alive()).toBe(true);
    await expectNoDeadLetters(store, svc);
    expect(await svc.stop()).toEqual({ code: 0, signal: null });
  }, 180_000);

  it("the Bot API answers 429 and 500 for a while: 100 customers × 3 messages all answered later, in order, once", async () => {
    const r = await rig();
    const svc = await startService({ env: r.env });
    // the next 40 sendMessage calls fail, 429 (retry_after 1) and 500 alternating
    for (let i = 0; i < 40; i++) r.fake.failNext(1, i % 2 === 0 ? { status: 429, retryAfter: 1, method: "sendMessage" } : { status: 500, method: "sendMessage" });

    const N = 100;
    const chats = Array.from({ length: N }, (_, i) => 7_300_000 + i);
    const script = ["/start", "меню", "доставка в офис"];
    const expected = [/^Здравствуйте!/, /^Чем помочь\?/, /^Привезём курьером/];
    await pool(chats, N, async (chat, i) => {
      for (let k = 0; k < script.length; k++) {
        await deliver(() => svc.base, textUpdate(700_000 + i * 10 + k, chat, script[k]!));
        await waitUntil(
          () => (repliesByChat(r.fake).get(String(chat))?.length ?? 0) >= k + 1,
          60_000,
          () => `chat ${chat} waits for reply ${k + 1}`,
          50,
        );
      }
    });
    const failed = r.fake.calls.filter((c) => c.method === "sendMessage" && c.status !== 200);
    expect(failed.map((c) => c.status).sort()).toEqual([...Array<number>(20).fill(429), ...Array<number>(20).fill(500)]);

    const store = await storeOf(r);
    await waitUntil(() => drained(store), 60_000, () => "journal or outbox not drained");
    const replies = repliesByChat(r.fake);
    for (const chat of chats) {
      const texts = replies.get(String(chat)) ?? [];
      expect(texts, `chat ${chat}`).toHaveLength(3);
      texts.forEach((t, k) => expect(t, `chat ${chat}, reply ${k + 1}`).toMatch(expected[k]!));
    }
    await expectNoDeadLetters(store, svc);
    expect(await svc.stop()).toEqual({ code: 0, signal: null });
  }, 120_000);
});
