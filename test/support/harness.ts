import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { createApp, type App } from "../../src/app.ts";
import { loadConfig } from "../../src/config.ts";
import type { Channel } from "../../src/model/channel.ts";
import type { Store } from "../../src/store/port.ts";
import { FAKE_BOT_INFO, startFakeTelegram, type FakeTelegram } from "../fakes/telegram-api.ts";
import { FAKE_VK_CONFIRMATION, FAKE_VK_GROUP_ID, FAKE_VK_SECRET, startFakeVk, vkEvent, vkMessageNew, type FakeVk } from "../fakes/vk-api.ts";
import { dialogOf, FAKE_MAX_TOKEN, maxBotStarted, maxCallback, maxContact, maxText, startFakeMax, type FakeMax } from "../fakes/max-api.ts";
import { FAKE_WHATSAPP_TOKEN, signWhatsApp, startFakeWhatsApp, waButtonReply, waText, whatsappBatch, type FakeWhatsApp } from "../fakes/whatsapp-api.ts";
import { maxReply, telegramReply, vkReply, webReply, whatsappReply, type PlatformReply } from "./replies.ts";

/**
 * The whole service in-process with real SDKs talking to local fake platforms, a
 * temp DATA_DIR and a clock the test moves. Drivers speak each platform's webhook
 * format in and read replies back in the platform's own format.
 */
export class TestClock {
  constructor(public t = Date.UTC(2026, 10, 2, 9, 0, 0)) {}
  now = (): number => this.t;
  advance(ms: number): void {
    this.t += ms;
  }
}

export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;

export const TG_SECRET = "test_tg_secret";
export const WA_SECRET = "test-wa-app-secret";
export const WA_VERIFY = "test-wa-verify";
export const STAFF_TOKEN = "test-staff-token-0123456789abcdefghij";
export const MAX_SECRET = "test_max_secret";

/** A reply as the customer sees it: text and one-tap choices (id as sent to the platform). */
export interface SeenReply {
  text: string;
  choices: { id: string; label: string }[];
  photoUrl?: string;
  askPhone?: boolean;
}

/** a decoded platform reply (replies.ts) as the drivers hand it out: numbered text has no one-tap choices */
function seen(r: PlatformReply): SeenReply {
  return {
    text: r.text,
    choices: r.shape === "numbered" ? [] : r.choices,
    ...(r.photoUrl ? { photoUrl: r.photoUrl } : {}),
    ...(r.askPhone ? { askPhone: true } : {}),
  };
}

export interface Input {
  text?: string;
  /** press the button with this id */
  button?: string;
  phone?: string;
  source?: string;
  /** platform delivery id, to send the same update twice */
  deliveryId?: string;
}

export interface Driver {
  channel: Channel;
  /** deliver one customer message via the webhook; returns the HTTP status */
  send(user: string, input: Input): Promise<number>;
  /** every reply this user got so far, in order */
  replies(user: string): SeenReply[];
}

export interface Harness {
  app: App;
  store: Store;
  clock: TestClock;
  dataDir: string;
  telegram: FakeTelegram;
  whatsapp: FakeWhatsApp;
  vk: FakeVk;
  max: FakeMax;
  drivers: Record<Channel, Driver>;
  /** send, wait until everything is processed and sent, return the new replies */
  say(channel: Channel, user: string, input: Input | string): Promise<SeenReply[]>;
  /** press the choice whose label contains `label` in the user's latest replies */
  tap(channel: Channel, user: string, label: string | RegExp): Promise<SeenReply[]>;
  /** move the clock and run what became due */
  later(ms: number): Promise<void>;
  staff(method: "GET" | "POST", url: string, body?: unknown): Promise<{ status: number; json: any }>;
  /** the id the platform knows `user` by: on the web chat, the session the server issued to this test user */
  platformUser(channel: Channel, user: string): Promise<string>;
  /** the Cookie header of `user`'s web-chat session (issued on first use) */
  webCookie(user: string): Promise<string>;
  close(): Promise<void>;
}

let seq = 1000;

/** Tests drive many customers from one address: the web chat's limits have their own tests (test/webchat.limits.test.ts). */
/** Nor do they wait out each platform's per-chat pace in wall-clock seconds (test/pacing and delivery tests do, with `realRates`). */
const ROOMY = { perSecond: 100_000, perChatPerSecond: 100_000, perChatBurst: 100_000 };
const ROOMY_SEND_RATES = { telegram: ROOMY, whatsapp: ROOMY, vk: ROOMY, max: ROOMY, web: ROOMY };
const ROOMY_WEB_LIMITS = { messagesPerSession: 10_000, messagesPerAddress: 100_000, sessionsPerAddress: 100_000, pollsPerSession: 100_000, pagesPerAddress: 100_000 };

export async function startHarness(opts: { env?: Record<string, string>; store?: Store; dataDir?: string; realRates?: boolean; refusalsPerAddress?: number } = {}): Promise<Harness> {
  const telegram = await startFakeTelegram();
  const whatsapp = await startFakeWhatsApp();
  const vk = await startFakeVk();
  const max = await startFakeMax();
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), "frontdesk-test-"));
  const clock = new TestClock();
  const config = loadConfig({
    DATA_DIR: dataDir,
    PORT: "0",
    HOST: "127.0.0.1",
    LOG_LEVEL: "silent",
    STAFF_API_TOKEN: STAFF_TOKEN,
    TELEGRAM_BOT_TOKEN: "123:TEST",
    TELEGRAM_WEBHOOK_SECRET: TG_SECRET,
    TELEGRAM_API_ROOT: telegram.apiRoot,
    WHATSAPP_ACCESS_TOKEN: FAKE_WHATSAPP_TOKEN,
    WHATSAPP_PHONE_NUMBER_ID: "109876543210987",
    WHATSAPP_APP_SECRET: WA_SECRET,
    WHATSAPP_VERIFY_TOKEN: WA_VERIFY,
    WHATSAPP_API_BASE: whatsapp.apiBase,
    VK_GROUP_TOKEN: "vk-test-token",
    VK_GROUP_ID: String(FAKE_VK_GROUP_ID),
    VK_CALLBACK_SECRET: FAKE_VK_SECRET,
    VK_CONFIRMATION_CODE: FAKE_VK_CONFIRMATION,
    VK_API_BASE: vk.apiBase,
    MAX_BOT_TOKEN: FAKE_MAX_TOKEN,
    MAX_WEBHOOK_SECRET: MAX_SECRET,
    MAX_API_BASE: max.apiBase,
    ...opts.env,
  });
  const app = await createApp(config, {
    now: clock.now,
    logger: pino({ level: opts.env?.LOG_LEVEL ?? "silent" }),
    telegram: { botInfo: FAKE_BOT_INFO },
    pollMs: 50,
    webLimits: ROOMY_WEB_LIMITS,
    ...(opts.realRates ? {} : { sendRates: ROOMY_SEND_RATES }),
    refusalsPerAddress: opts.refusalsPerAddress ?? 100_000,
    ...(opts.store ? { store: opts.store } : {}),
  });
  const http = app.http;

  // each test user gets the session the server issues, as a browser would
  const webSessions = new Map<string, Promise<string>>();
  const webSession = (user: string): Promise<string> => {
    let sid = webSessions.get(user);
    if (!sid) {
      sid = http.inject({ method: "POST", url: "/webchat/api/session" }).then((res) => {
        const id = /fd_chat=([A-Za-z0-9_-]+)/.exec(String(res.headers["set-cookie"] ?? ""))?.[1];
        if (!id) throw new Error(`no web-chat session issued for ${user}: ${res.statusCode} ${res.body}`);
        return id;
      });
      webSessions.set(user, sid);
    }
    return sid;
  };
  const webCookie = async (user: string) => `fd_chat=${await webSession(user)}`;

  const post = async (url: string, payload: string, headers: Record<string, string>) =>
    (await http.inject({ method: "POST", url, payload, headers: { "content-type": "application/json", ...headers } })).statusCode;

  const tgDriver: Driver = {
    channel: "telegram",
    async send(user, input) {
      const id = input.deliveryId ? Number(input.deliveryId) : ++seq;
      const from = { id: Number(user), is_bot: false, first_name: "Аристарх", language_code: "ru" };
      const chat = { id: Number(user), type: "private", first_name: "Аристарх" };
      const update = input.button
        ? { update_id: id, callback_query: { id: `cb${id}`, from, chat_instance: "1", data: input.button, message: { message_id: id, date: 1, chat } } }
        : {
            update_id: id,
            message: {
              message_id: id,
              date: Math.floor(clock.now() / 1000),
              from,
              chat,
              ...(input.phone ? { contact: { phone_number: input.phone, first_name: "Аристарх", user_id: Number(user) } } : {}),
              ...(input.text !== undefined ? { text: input.source ? `/start ${input.source}` : input.text } : input.source ? { text: `/start ${input.source}` } : {}),
            },
          };
      const res = await http.inject({
        method: "POST",
        url: "/webhooks/telegram",
        payload: JSON.stringify(update),
        headers: { "content-type": "application/json", "x-telegram-bot-api-secret-token": TG_SECRET },
      });
      // Telegram runs a method the webhook answered with (answerCallbackQuery for a press)
      if (res.statusCode === 200) await telegram.webhookReply(res.body);
      return res.statusCode;
    },
    replies(user) {
      return telegram.calls
        .filter((c) => (c.method === "sendMessage" || c.method === "sendPhoto") && String(c.params.chat_id) === user && c.status === 200)
        .map((c) => seen(telegramReply(c.params)));
    },
  };

  const waDriver: Driver = {
    channel: "whatsapp",
    async send(user, input) {
      const wamid = input.deliveryId ?? `wamid.test${++seq}`;
      const msg = input.button
        ? waButtonReply(user, input.button, input.button, { id: wamid, at: clock.now() })
        : waText(user, input.source ? input.source : (input.text ?? ""), { id: wamid, at: clock.now() });
      const body = JSON.stringify(whatsappBatch([msg]));
      return post("/webhooks/whatsapp", body, { "x-hub-signature-256": signWhatsApp(body, WA_SECRET) });
    },
    replies(user) {
      return whatsapp
        .messages()
        .filter((c) => c.body.to === user)
        .map((c) => seen(whatsappReply(c.body)));
    },
  };

  const vkDriver: Driver = {
    channel: "vk",
    async send(user, input) {
      const object = vkMessageNew({
        peerId: Number(user),
        text: input.text ?? "",
        ...(input.button ? { payload: { b: input.button } } : {}),
        ...(input.source ? { ref: input.source } : {}),
        date: Math.floor(clock.now() / 1000),
      });
      const event = vkEvent("message_new", object, { eventId: input.deliveryId ?? `ev${++seq}` });
      return post("/webhooks/vk", JSON.stringify(event), {});
    },
    replies(user) {
      return vk
        .delivered()
        .filter((d) => d.peerId === user)
        .map((d) => seen(vkReply(d.text, d.keyboard, d.params)));
    },
  };

  const webDriver: Driver = {
    channel: "web",
    async send(user, input) {
      const body = {
        id: input.deliveryId ?? `m${++seq}x${Math.random().toString(36).slice(2, 8)}`,
        ...(input.text !== undefined ? { text: input.text } : {}),
        ...(input.button ? { buttonId: input.button } : {}),
        ...(input.phone ? { phone: input.phone } : {}),
        ...(input.source ? { source: input.source, text: input.text ?? "/start" } : {}),
      };
      return post("/webchat/api/messages", JSON.stringify(body), { cookie: await webCookie(user) });
    },
    replies(user) {
      return webReplies.get(user) ?? [];
    },
  };
  // The web chat is read the way the page reads it: GET /webchat/api/messages.
  // Like the page, it asks only for what came after the last reply it has.
  const webReplies = new Map<string, SeenReply[]>();
  const webSeq = new Map<string, number>();
  const pullWeb = async (user: string) => {
    const got = webReplies.get(user) ?? [];
    webReplies.set(user, got);
    const res = await http.inject({ method: "GET", url: `/webchat/api/messages?after=${webSeq.get(user) ?? -1}&wait=0`, headers: { cookie: await webCookie(user) } });
    const { messages } = res.json() as { messages: (Record<string, unknown> & { seq: number })[] };
    for (const m of messages) {
      got.push(seen(webReply(m)));
      webSeq.set(user, m.seq);
    }
  };

  /** replies that arrive without a customer message (staff, timers) */
  const pullAllWeb = async () => {
    for (const user of webReplies.keys()) await pullWeb(user);
  };

  /** MAX: `user` is the customer's MAX user id; their dialog with the bot has its own chat id */
  const maxDriver: Driver = {
    channel: "max",
    async send(user, input) {
      const o = { userId: Number(user), at: clock.now() };
      const update = input.button
        ? maxCallback({ ...o, payload: input.button, ...(input.deliveryId ? { callbackId: input.deliveryId } : {}) })
        : input.phone
          ? maxContact({ ...o, phone: input.phone, ...(input.deliveryId ? { mid: input.deliveryId } : {}) })
          : input.source !== undefined || input.text === "/start"
            ? maxBotStarted({ ...o, ...(input.source !== undefined ? { payload: input.source } : {}) })
            : maxText({ ...o, text: input.text ?? "", ...(input.deliveryId ? { mid: input.deliveryId } : {}) });
      return post("/webhooks/max", JSON.stringify(update), { "x-max-bot-api-secret": MAX_SECRET });
    },
    replies(user) {
      const chat = String(dialogOf(Number(user)));
      return max
        .sent()
        .filter((m) => m.chatId === chat)
        .map((m) => seen(maxReply(m)));
    },
  };

  const drivers: Record<Channel, Driver> = { telegram: tgDriver, whatsapp: waDriver, vk: vkDriver, web: webDriver, max: maxDriver };

  const harness: Harness = {
    app,
    store: app.store,
    clock,
    dataDir,
    telegram,
    whatsapp,
    vk,
    max,
    drivers,
    async say(channel, user, input) {
      const d = drivers[channel];
      if (channel === "web") await pullWeb(user);
      const before = d.replies(user).length;
      const status = await d.send(user, typeof input === "string" ? { text: input } : input);
      if (status >= 300) throw new Error(`${channel} webhook answered ${status}`);
      await app.idle();
      if (channel === "web") await pullWeb(user);
      return d.replies(user).slice(before);
    },
    async tap(channel, user, label) {
      const all = drivers[channel].replies(user);
      for (let i = all.length - 1; i >= 0; i--) {
        const hit = all[i]!.choices.find((c) => (typeof label === "string" ? c.label.includes(label) : label.test(c.label)));
        if (hit) return harness.say(channel, user, { button: hit.id });
      }
      throw new Error(`no choice matching ${label} in replies to ${user}: ${JSON.stringify(all.slice(-2))}`);
    },
    async later(ms) {
      clock.advance(ms);
      await app.tick();
      await app.idle();
      await pullAllWeb();
    },
    async staff(method, url, body) {
      const res = await http.inject({
        method,
        url,
        headers: { authorization: `Bearer ${STAFF_TOKEN}`, ...(body ? { "content-type": "application/json" } : {}) },
        ...(body ? { payload: JSON.stringify(body) } : {}),
      });
      await app.idle();
      await pullAllWeb();
      return { status: res.statusCode, json: res.body ? res.json() : undefined };
    },
    async platformUser(channel, user) {
      return channel === "web" ? webSession(user) : user;
    },
    webCookie,
    async close() {
      await app.close();
      await Promise.all([telegram.close(), whatsapp.close(), vk.close(), max.close()]);
      if (!opts.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return harness;
}

export { vkEvent, vkMessageNew, whatsappBatch, waText, signWhatsApp };
