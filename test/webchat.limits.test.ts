import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp, type App } from "../src/app.ts";
import { loadConfig } from "../src/config.ts";
import { WEB_LIMITS } from "../adapters/web/limits.ts";
import { FAKE_BOT_INFO, startFakeTelegram, type FakeTelegram } from "./fakes/telegram-api.ts";

/**
 * Floods are slowed with the service's own limits (the defaults, not test ones):
 * one browser session flooding, one address flooding with fresh sessions, forged
 * webhooks. Meanwhile a customer at another address writes and is answered, and
 * Telegram's real updates keep flowing.
 */
const TG_SECRET = "limits_test_secret";
let app: App;
let telegram: FakeTelegram;
let dataDir: string;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "frontdesk-limits-"));
  telegram = await startFakeTelegram();
  const config = loadConfig({
    PORT: "0",
    HOST: "127.0.0.1",
    DATA_DIR: dataDir,
    LOG_LEVEL: "silent",
    TELEGRAM_BOT_TOKEN: "123:LIMITS",
    TELEGRAM_WEBHOOK_SECRET: TG_SECRET,
    TELEGRAM_API_ROOT: telegram.apiRoot,
  });
  app = await createApp(config, { logger: pino({ level: "silent" }), telegram: { botInfo: FAKE_BOT_INFO }, pollMs: 50 });
});
afterAll(async () => {
  await app?.close();
  await telegram?.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

type Res = { status: number; headers: Record<string, unknown>; body: string };
async function call(from: string, method: "GET" | "POST", url: string, opts: { cookie?: string; body?: unknown; headers?: Record<string, string> } = {}): Promise<Res> {
  const res = await app.http.inject({
    method,
    url,
    remoteAddress: from,
    headers: { ...(opts.body !== undefined ? { "content-type": "application/json" } : {}), ...(opts.cookie ? { cookie: opts.cookie } : {}), ...opts.headers },
    ...(opts.body !== undefined ? { payload: JSON.stringify(opts.body) } : {}),
  });
  return { status: res.statusCode, headers: res.headers, body: res.body };
}
async function openSession(from: string): Promise<{ status: number; cookie?: string }> {
  const res = await call(from, "POST", "/webchat/api/session", { body: {} });
  const cookie = /fd_chat=[^;]+/.exec(String(res.headers["set-cookie"] ?? ""))?.[0];
  return { status: res.status, ...(cookie ? { cookie } : {}) };
}
const count = (rs: Res[], status: number) => rs.filter((r) => r.status === status).length;

describe("web chat under a flood", () => {
  it("one session posting as fast as it can gets 429 with Retry-After; a customer at the same time is answered", async () => {
    const flooder = (await openSession("10.6.6.6")).cookie!;
    const customer = (await openSession("10.1.1.1")).cookie!;
    expect(flooder && customer).toBeTruthy();

    const flood = Array.from({ length: 300 }, (_, i) => call("10.6.6.6", "POST", "/webchat/api/messages", { cookie: flooder, body: { id: `flood${i}x`, text: `спам ${i}` } }));
    const hello = call("10.1.1.1", "POST", "/webchat/api/messages", { cookie: customer, body: { id: "hello1", text: "/start" } });
    const results = await Promise.all(flood);
    expect((await hello).status).toBe(202);

    expect(count(results, 202)).toBe(WEB_LIMITS.messagesPerSession);
    expect(count(results, 429)).toBe(300 - WEB_LIMITS.messagesPerSession);
    const refused = results.find((r) => r.status === 429)!;
    expect(Number(refused.headers["retry-after"])).toBeGreaterThanOrEqual(1);
    expect(JSON.parse(refused.body)).toEqual(expect.objectContaining({ error: "rate_limited" }));

    // the customer's greeting, as their page reads it
    await app.idle(30_000);
    const seen = await call("10.1.1.1", "GET", "/webchat/api/messages?after=-1&wait=0", { cookie: customer });
    expect(seen.status).toBe(200);
    expect((JSON.parse(seen.body) as { messages: { text: string }[] }).messages[0]!.text).toContain("Здравствуйте");
  }, 60_000);

  it("one address opening session after session is stopped at its limits; another address is not", async () => {
    const opened = [];
    for (let i = 0; i < WEB_LIMITS.sessionsPerAddress + 20; i++) opened.push(await openSession("10.7.7.7"));
    expect(opened.filter((o) => o.status === 200)).toHaveLength(WEB_LIMITS.sessionsPerAddress);
    expect(opened.filter((o) => o.status === 429)).toHaveLength(20);
    // their sessions together post no more than the address allows
    const sessions = opened.flatMap((o) => (o.cookie ? [o.cookie] : []));
    const posts = await Promise.all(
      Array.from({ length: WEB_LIMITS.messagesPerAddress + 50 }, (_, i) =>
        call("10.7.7.7", "POST", "/webchat/api/messages", { cookie: sessions[i % sessions.length]!, body: { id: `addr${i}xx`, text: "спам" } }),
      ),
    );
    expect(count(posts, 202)).toBe(WEB_LIMITS.messagesPerAddress);
    expect(count(posts, 429)).toBe(50);
    const other = await openSession("10.8.8.8");
    expect(other.status).toBe(200);
    expect((await call("10.8.8.8", "POST", "/webchat/api/messages", { cookie: other.cookie!, body: { id: "other1", text: "привет" } })).status).toBe(202);
  }, 60_000);

  it("the page itself is limited per address", async () => {
    const loads: Res[] = [];
    for (let i = 0; i < WEB_LIMITS.pagesPerAddress + 10; i++) loads.push(await call("10.5.5.5", "GET", i % 3 ? "/" : "/webchat/chat.js"));
    expect(count(loads, 200)).toBe(WEB_LIMITS.pagesPerAddress);
    expect(count(loads, 429)).toBe(10);
    expect((await call("10.5.5.6", "GET", "/?src=flyer")).status).toBe(200);
  }, 60_000);

  it("long-polls held open are capped per session", async () => {
    const { cookie } = await openSession("10.9.9.9");
    await call("10.9.9.9", "POST", "/webchat/api/messages", { cookie: cookie!, body: { id: "capst1", text: "/start" } });
    await app.idle(30_000);
    const polls = Array.from({ length: WEB_LIMITS.openPollsPerSession }, () => call("10.9.9.9", "GET", "/webchat/api/messages?after=1000&wait=30", { cookie: cookie! }));
    // once those hang, one more is refused at once
    await expect
      .poll(async () => (await call("10.9.9.9", "GET", "/webchat/api/messages?after=1000&wait=30", { cookie: cookie! })).status, { timeout: 10_000 })
      .toBe(429);
    // a message wakes them all
    await call("10.9.9.9", "POST", "/webchat/api/messages", { cookie: cookie!, body: { id: "capst2", text: "меню" } });
    const woke = await Promise.all(polls);
    expect(woke.map((r) => r.status)).toEqual(Array(WEB_LIMITS.openPollsPerSession).fill(200));
  }, 60_000);
});

describe("forged webhooks", () => {
  const update = (id: number) => ({ update_id: id, message: { message_id: id, date: 1_790_000_000, chat: { id: 4242, type: "private", first_name: "A" }, from: { id: 4242, is_bot: false, first_name: "A" }, text: "/start" } });
  const tg = (from: string, secret: string, id: number) =>
    call(from, "POST", "/webhooks/telegram", { body: update(id), headers: { "x-telegram-bot-api-secret-token": secret } });

  it("an address that keeps failing the secret is answered 429 before anything is read; Telegram itself is not", async () => {
    const forged = [];
    for (let i = 0; i < 40; i++) forged.push(await tg("10.66.0.1", "wrong", 9000 + i));
    expect(count(forged, 401)).toBe(30);
    expect(count(forged, 429)).toBe(10);
    expect(Number(forged.at(-1)!.headers["retry-after"])).toBeGreaterThanOrEqual(1);
    // even the right secret from that address waits now
    expect((await tg("10.66.0.1", TG_SECRET, 9100)).status).toBe(429);
    // Telegram's own address goes on
    expect((await tg("149.154.167.220", TG_SECRET, 9101)).status).toBe(200);
    await app.idle(30_000);
    expect(telegram.calls.filter((c) => c.method === "sendMessage" && String(c.params.chat_id) === "4242").length).toBeGreaterThan(0);
  });
});
