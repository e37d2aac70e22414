import { afterAll, describe, expect, it } from "vitest";
import { startFakeTelegram, type FakeTelegram } from "./fakes/telegram-api.ts";
import { deliver, STAFF_TOKEN, textUpdate, TG_SECRET, waitUntil } from "./support/load.ts";
import { startRedis, type RedisHandle } from "./support/redis-server.ts";
import { startService, stopAllServices, telegramServiceEnv, tempDir } from "./support/service-process.ts";

/**
 * The staff group with two service processes on one Redis behind a load balancer:
 * one topic per customer, each of their messages mirrored once and in order, whichever
 * instance took the webhook; a staff message in the topic reaches the customer through
 * either instance.
 */
const STAFF_CHAT = "-1001987654321";
let redis: RedisHandle | undefined;
let fake: FakeTelegram | undefined;

afterAll(async () => {
  await stopAllServices();
  await fake?.close();
  await redis?.stop();
});

describe("staff group, two instances on one Redis", () => {
  it("mirrors a customer's messages once each, in order, and a topic reply reaches them via the other instance", async () => {
    redis = await startRedis();
    fake = await startFakeTelegram();
    const env = {
      ...telegramServiceEnv({ redisUrl: redis.url, apiRoot: fake.apiRoot, dataDir: tempDir(), secret: TG_SECRET, staffToken: STAFF_TOKEN }),
      TELEGRAM_STAFF_CHAT_ID: STAFF_CHAT,
      TELEGRAM_STAFF_RATE_PER_MINUTE: "1200",
    };
    const [a, b] = await Promise.all([startService({ env, readyTimeoutMs: 90_000 }), startService({ env, readyTimeoutMs: 90_000 })]);
    const chat = 7_500_001;
    let id = 1;
    await deliver(() => a.base, textUpdate(id++, chat, "/start"));
    await deliver(() => b.base, textUpdate(id++, chat, "оператор"));
    const topics = () => fake!.topics(STAFF_CHAT);
    await waitUntil(() => topics().length === 1, 20_000, () => `topics: ${JSON.stringify(topics())}`);
    const thread = topics()[0]!.threadId;
    const inTopic = () =>
      fake!
        .callsOf("sendMessage")
        .filter((c) => String(c.params.chat_id) === STAFF_CHAT && c.params.message_thread_id === thread && c.status === 200)
        .map((c) => String(c.params.text))
        .join("\n\n");
    await waitUntil(() => inTopic().includes("Пишите здесь"), 20_000, inTopic);

    const words = Array.from({ length: 6 }, (_, i) => `сообщение ${i + 1}`);
    for (const [i, w] of words.entries()) await deliver(() => (i % 2 ? b.base : a.base), textUpdate(id++, chat, w));
    await waitUntil(() => inTopic().includes("👤 сообщение 6"), 20_000, inTopic);
    const mirrored = inTopic().split(/\n+/).filter((l) => l.startsWith("👤 сообщение"));
    expect(mirrored).toEqual(words.map((w) => `👤 ${w}`));
    expect(topics()).toHaveLength(1);

    // a staff member answers in the topic; the webhook lands on instance b
    const update = {
      update_id: id++,
      message: {
        message_id: 900,
        date: Math.floor(Date.now() / 1000),
        from: { id: 4242, is_bot: false, first_name: "Ольга" },
        chat: { id: Number(STAFF_CHAT), type: "supergroup", is_forum: true },
        message_thread_id: thread,
        is_topic_message: true,
        text: "Здравствуйте! Чем помочь?",
      },
    };
    const res = await fetch(`${b.base}/webhooks/telegram`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-telegram-bot-api-secret-token": TG_SECRET },
      body: JSON.stringify(update),
    });
    expect(res.status).toBe(200);
    const toCustomer = () => fake!.callsOf("sendMessage").filter((c) => String(c.params.chat_id) === String(chat)).map((c) => String(c.params.text));
    await waitUntil(() => toCustomer().includes("Здравствуйте! Чем помочь?"), 20_000, () => toCustomer().join(" | "));
    // the staff chat itself was never answered as a customer
    expect(fake.callsOf("sendMessage").filter((c) => String(c.params.chat_id) === STAFF_CHAT && c.params.message_thread_id === undefined).map((c) => String(c.params.text)).join("\n")).not.toMatch(/Здравствуйте! Это/);
  }, 180_000);
});
