import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createStaffAccount } from "../src/staff/accounts.ts";
import { RedisStore } from "../src/store/redis.ts";
import { startFakeTelegram, type FakeTelegram } from "./fakes/telegram-api.ts";
import { launchChromium } from "./support/chromium.ts";
import { deliver, STAFF_TOKEN, textUpdate, TG_SECRET, waitUntil } from "./support/load.ts";
import { startRedis, type RedisHandle } from "./support/redis-server.ts";
import { startService, stopAllServices, telegramServiceEnv, tempDir, type ServiceProcess } from "./support/service-process.ts";

/**
 * Two service processes on one redis-server, as behind a load balancer: sessions,
 * the team and the live feed are shared. Anna watches a chat through instance B
 * while Boris answers it through instance A; his reply appears on her page without
 * a reload, and the customer's next message sent to A appears on B's inbox.
 */
const PASSWORD = "две-копии-одной-ромашки";
const CHAT = 7_500_001;

let redis: RedisHandle;
let fake: FakeTelegram;
let a: ServiceProcess;
let b: ServiceProcess;
let store: RedisStore;
let browser: Browser;

beforeAll(async () => {
  redis = await startRedis({});
  fake = await startFakeTelegram();
  const env = telegramServiceEnv({ redisUrl: redis.url, apiRoot: fake.apiRoot, dataDir: tempDir(), secret: TG_SECRET, staffToken: STAFF_TOKEN });
  [a, b] = await Promise.all([startService({ env, readyTimeoutMs: 120_000 }), startService({ env, readyTimeoutMs: 120_000 })]);
  store = await RedisStore.connect(redis.url);
  await createStaffAccount(store, { login: "anna", role: "operator", password: PASSWORD });
  await createStaffAccount(store, { login: "boris", role: "operator", password: PASSWORD });
  browser = await launchChromium();
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await stopAllServices();
  await store?.close().catch(() => {});
  await fake?.close().catch(() => {});
  await redis?.stop().catch(() => {});
});

async function signedIn(base: string, login: string): Promise<Page> {
  const context = await browser.newContext({ locale: "ru-RU", viewport: { width: 1280, height: 860 } });
  const page = await context.newPage();
  page.setDefaultTimeout(20_000);
  await page.goto(`${base}/staff/login`);
  await page.getByLabel("Логин").fill(login);
  await page.getByLabel("Пароль").fill(PASSWORD);
  await page.getByRole("button", { name: "Войти" }).click();
  await page.waitForURL(`${base}/staff/`);
  await page.locator("#live-state", { hasText: "в сети" }).waitFor();
  return page;
}

const sentTo = () =>
  fake.calls.filter((c) => c.method === "sendMessage" && String(c.params.chat_id) === String(CHAT) && c.status === 200).map((c) => String(c.params.text));

describe("the inbox on two instances sharing one Redis", () => {
  it("shows on B, live, a chat handed over on A, and a reply sent through A", async () => {
    const anna = await signedIn(b.base, "anna");
    await deliver(() => a.base, textUpdate(1, CHAT, "оператор"));
    // the handoff was made by A's worker: B's page learns of it over the shared feed
    await anna.locator(".row", { hasText: "Покупатель" }).waitFor();

    const boris = await signedIn(a.base, "boris");
    await boris.goto(`${a.base}/staff/chats/${encodeURIComponent(`telegram:${CHAT}`)}`);
    await anna.locator(".row", { hasText: "Покупатель" }).click();
    await anna.waitForURL(/\/staff\/chats\//);

    await boris.getByRole("button", { name: "Взять" }).click();
    await anna.locator("#owner-now", { hasText: "boris" }).waitFor();
    await boris.getByLabel("Сообщение").fill("Добрый вечер! Это Борис, чем помочь?");
    await boris.getByRole("button", { name: "Отправить" }).click();
    await waitUntil(() => sentTo().includes("Добрый вечер! Это Борис, чем помочь?"), 20_000, () => JSON.stringify(sentTo()));
    // on B, without a reload
    await anna.locator("#history .msg.staff", { hasText: "Это Борис" }).waitFor();

    // the customer answers through A again; Anna's page on B shows it
    await deliver(() => a.base, textUpdate(2, CHAT, "Хочу сменить адрес доставки"));
    await anna.locator("#history .msg.in", { hasText: "сменить адрес" }).waitFor();
    expect(sentTo().filter((t) => /сменить адрес/.test(t))).toEqual([]);
  }, 120_000);
});
