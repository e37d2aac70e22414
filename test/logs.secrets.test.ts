import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp, createLogger, type App } from "../src/app.ts";
import { loadConfig } from "../src/config.ts";
import { FAKE_BOT_INFO, startFakeTelegram, type FakeTelegram } from "./fakes/telegram-api.ts";
import { FAKE_VK_GROUP_ID, startFakeVk, vkEvent, vkMessageNew, type FakeVk } from "./fakes/vk-api.ts";
import { signWhatsApp, startFakeWhatsApp, waText, whatsappBatch, type FakeWhatsApp } from "./fakes/whatsapp-api.ts";

/**
 * The service runs with secrets made for this run, at the most talkative log level;
 * every route is driven, right and wrong; then the whole captured log is searched
 * for every secret, session id and phone number the run used.
 */
const rnd = (n: number) => randomBytes(n).toString("base64url").replace(/[^A-Za-z0-9]/g, "x");
const S = {
  botToken: `7${String(Date.now()).slice(-9)}:${rnd(26)}`,
  tgSecret: rnd(24),
  waToken: `EAAG${rnd(40)}`,
  waSecret: rnd(24),
  waVerify: rnd(18),
  vkToken: `vk1.a.${rnd(40)}`,
  vkSecret: rnd(20),
  vkConfirmation: rnd(8),
  staff: rnd(40),
};
const CUSTOMER_PHONE = "79165554433";
const WA_USER = "79035556677";

let app: App;
let tg: FakeTelegram;
let wa: FakeWhatsApp;
let vk: FakeVk;
let dataDir: string;
const lines: string[] = [];

beforeAll(async () => {
  [tg, wa, vk] = await Promise.all([startFakeTelegram(), startFakeWhatsApp({ token: S.waToken }), startFakeVk({ token: S.vkToken })]);
  dataDir = mkdtempSync(join(tmpdir(), "frontdesk-logs-"));
  const config = loadConfig({
    PORT: "0",
    HOST: "127.0.0.1",
    DATA_DIR: dataDir,
    LOG_LEVEL: "trace",
    STAFF_API_TOKEN: S.staff,
    TELEGRAM_BOT_TOKEN: S.botToken,
    TELEGRAM_WEBHOOK_SECRET: S.tgSecret,
    TELEGRAM_API_ROOT: tg.apiRoot,
    WHATSAPP_ACCESS_TOKEN: S.waToken,
    WHATSAPP_PHONE_NUMBER_ID: "109876543210987",
    WHATSAPP_APP_SECRET: S.waSecret,
    WHATSAPP_VERIFY_TOKEN: S.waVerify,
    WHATSAPP_API_BASE: wa.apiBase,
    VK_GROUP_TOKEN: S.vkToken,
    VK_GROUP_ID: String(FAKE_VK_GROUP_ID),
    VK_CALLBACK_SECRET: S.vkSecret,
    VK_CONFIRMATION_CODE: S.vkConfirmation,
    VK_API_BASE: vk.apiBase,
  });
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(...chunk.toString("utf8").split("\n").filter(Boolean));
      done();
    },
  });
  app = await createApp(config, { logger: createLogger("trace", sink), telegram: { botInfo: FAKE_BOT_INFO }, pollMs: 50 });
}, 30_000);
afterAll(async () => {
  await app?.close();
  await Promise.all([tg?.close(), wa?.close(), vk?.close()]);
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

async function call(method: "GET" | "POST", url: string, body?: unknown, headers: Record<string, string> = {}) {
  const payload = body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body);
  const res = await app.http.inject({
    method,
    url,
    headers: { ...(payload !== undefined ? { "content-type": "application/json" } : {}), ...headers },
    ...(payload !== undefined ? { payload } : {}),
  });
  return res;
}

describe("a run's log", () => {
  it("holds none of the secrets, session ids or phone numbers it used", async () => {
    const used: Record<string, string> = { ...S, customerPhone: CUSTOMER_PHONE, waUser: WA_USER };
    const staff = { authorization: `Bearer ${S.staff}` };

    // pages and health
    for (const path of ["/", "/webchat/chat.js", "/webchat/chat.css", "/healthz", "/readyz", "/nothing-here"]) await call("GET", path);

    // the web chat, as a page uses it, and as an old page with ?session= would
    const opened = await call("POST", "/webchat/api/session", {});
    const sid = /fd_chat=([^;]+)/.exec(String(opened.headers["set-cookie"]))![1]!;
    used.session = sid;
    const cookie = { cookie: `fd_chat=${sid}` };
    expect((await call("POST", "/webchat/api/messages", { id: "logmsg1", text: "/start" }, cookie)).statusCode).toBe(202);
    await app.idle();
    await call("POST", "/webchat/api/messages", { id: "logmsg2", text: `мой телефон +${CUSTOMER_PHONE}` }, cookie);
    await call("POST", "/webchat/api/messages", { id: "logmsg3", phone: `+7 916 555-44-33` }, cookie);
    await call("GET", "/webchat/api/messages?after=-1&history=1&wait=0", undefined, cookie);
    await call("GET", "/webchat/api/messages?after=0&wait=0", undefined, cookie);
    await call("GET", `/webchat/api/messages?session=${sid}&after=-1`, undefined, cookie);
    await call("POST", "/webchat/api/messages", { session: sid, text: "x" });

    // Telegram: right, wrong, missing secret
    const update = (id: number, text: string) => ({ update_id: id, message: { message_id: id, date: 1_790_000_000, chat: { id: 5151, type: "private", first_name: "Л" }, from: { id: 5151, is_bot: false, first_name: "Л" }, text } });
    expect((await call("POST", "/webhooks/telegram", update(1, "/start"), { "x-telegram-bot-api-secret-token": S.tgSecret })).statusCode).toBe(200);
    await call("POST", "/webhooks/telegram", update(2, "hi"), { "x-telegram-bot-api-secret-token": `${S.tgSecret}x` });
    await call("POST", "/webhooks/telegram", "{not json", { "x-telegram-bot-api-secret-token": S.tgSecret });

    // WhatsApp: verification (right and wrong token), signed and forged posts
    const challenge = rnd(10);
    used.challenge = challenge;
    const verified = await call("GET", `/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=${S.waVerify}&hub.challenge=${challenge}`);
    expect(verified.body).toBe(challenge);
    await call("GET", `/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=${S.waVerify}wrong&hub.challenge=${challenge}`);
    const waBody = JSON.stringify(whatsappBatch([waText(WA_USER, "здравствуйте")]));
    expect((await call("POST", "/webhooks/whatsapp", waBody, { "x-hub-signature-256": signWhatsApp(waBody, S.waSecret) })).statusCode).toBe(200);
    await call("POST", "/webhooks/whatsapp", waBody, { "x-hub-signature-256": signWhatsApp(waBody, "wrong") });

    // VK: confirmation, a message, a wrong secret
    await call("POST", "/webhooks/vk", { type: "confirmation", group_id: FAKE_VK_GROUP_ID, secret: S.vkSecret });
    const vkMsg = vkEvent("message_new", vkMessageNew({ peerId: 7070, text: "Начать" }), { secret: S.vkSecret });
    expect((await call("POST", "/webhooks/vk", vkMsg)).statusCode).toBe(200);
    await call("POST", "/webhooks/vk", vkEvent("message_new", vkMessageNew({ peerId: 7070, text: "x" }), { secret: `${S.vkSecret}x` }));
    await app.idle();

    // the staff API: every kind of call, a token in a query string by mistake, a wrong token
    await call("GET", "/api/inbox", undefined, staff);
    await call("GET", `/api/conversations/web:${sid}`, undefined, staff);
    await call("GET", `/api/conversations/whatsapp:${WA_USER}`, undefined, staff);
    await call("POST", `/api/conversations/web:${sid}/reply`, { text: "Здравствуйте, это Ольга", by: "Ольга" }, staff);
    await call("POST", `/api/conversations/web:${sid}/take`, { by: "Ольга" }, staff);
    await call("POST", `/api/conversations/web:${sid}/handback`, { by: "Ольга" }, staff);
    await call("GET", "/api/contacts?limit=5", undefined, staff);
    await call("GET", "/api/orders", undefined, staff);
    await call("GET", "/api/outbox?status=sent", undefined, staff);
    await call("POST", "/api/outbox/nope/requeue", undefined, staff);
    await call("GET", "/api/dead-letters", undefined, staff);
    await call("GET", "/api/report/funnel", undefined, staff);
    await call("GET", `/api/inbox?access_token=${S.staff}&phone=%2B${CUSTOMER_PHONE}`, undefined, { authorization: `bearer ${S.staff}` });
    await call("GET", "/api/inbox", undefined, { authorization: `Bearer ${S.staff.slice(0, -1)}` });
    await app.idle();
    // the replies really went out (the run did real work that could have logged them)
    expect(tg.calls.some((c) => c.method === "sendMessage")).toBe(true);
    expect(wa.calls.length).toBeGreaterThan(0);
    expect(vk.delivered().length).toBeGreaterThan(0);

    const log = lines.join("\n");
    expect(lines.length).toBeGreaterThan(30);
    expect(log).toContain("/webchat/api/messages");
    expect(log).toContain("[redacted]");
    const found = Object.entries(used).filter(([, secret]) => log.includes(secret));
    for (const [name, secret] of found) {
      const line = lines.find((l) => l.includes(secret))!;
      console.error(`${name} leaked: ${line.slice(0, 400)}`);
    }
    expect(found.map(([name]) => name)).toEqual([]);
    // a forged request costs one line
    const forgedLines = lines.filter((l) => l.includes('"s":401') || l.includes('"s":403'));
    expect(forgedLines.length).toBeLessThanOrEqual(6);
    if (process.env.DUMP_LOG) (await import("node:fs")).writeFileSync(process.env.DUMP_LOG, log);
    console.log(`log: ${lines.length} lines, ${Object.keys(used).length} secrets searched, none found`);
  }, 60_000);
});
