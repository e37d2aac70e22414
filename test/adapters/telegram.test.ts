import { readFileSync } from "node:fs";
import fc from "fast-check";
import Fastify, { type FastifyInstance } from "fastify";
import { pino } from "pino";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  createTelegramAdapter,
  parseTelegramUpdate,
  setTelegramWebhook,
  TelegramUpdateError,
  type TelegramAdapter,
} from "../../adapters/telegram/index.ts";
import type { Ingest } from "../../src/channel/port.ts";
import type { TelegramConfig } from "../../adapters/telegram/config.ts";
import type { InboundEvent } from "../../src/model/inbound.ts";
import type { OutboxItem, RenderedPart } from "../../src/model/outbound.ts";
import { startFakeTelegram, type FakeTelegram } from "../fakes/telegram-api.ts";

const SECRET = "s3cret_Token-1";
const TOKEN = "123456:TEST-token";
const log = pino({ level: "silent" });
const fixture = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(new URL(`../fixtures/${name}`, import.meta.url), "utf8")) as Record<string, unknown>;

let fake: FakeTelegram;
beforeAll(async () => {
  fake = await startFakeTelegram({ token: TOKEN, maxLongPollMs: 300 });
});
afterAll(async () => {
  await fake.close();
});
beforeEach(() => fake.reset());

const config = (over: Partial<TelegramConfig> = {}): TelegramConfig => ({
  token: TOKEN,
  webhookSecret: SECRET,
  apiRoot: fake.apiRoot,
  mode: "webhook",
  ...over,
});

/** an adapter on a fastify app whose ingest records what it got */
async function setup(opts: { failIngest?: boolean } = {}) {
  const ingested: InboundEvent[][] = [];
  const ingest: Ingest = async (events) => {
    if (opts.failIngest) throw new Error("store down");
    ingested.push(events);
    return events.map(() => "queued" as const);
  };
  const adapter = createTelegramAdapter(config(), { botInfo: fake.botInfo });
  const app = Fastify();
  await adapter.register(app, { ingest, log });
  await app.ready();
  return { app, adapter, ingested };
}

const post = (app: FastifyInstance, body: unknown, headers: Record<string, string> = { "x-telegram-bot-api-secret-token": SECRET }) =>
  app.inject({
    method: "POST",
    url: "/webhooks/telegram",
    headers: { "content-type": "application/json", ...headers },
    payload: typeof body === "string" ? body : JSON.stringify(body),
  });

const user = { id: 5012345678, is_bot: false, first_name: "Анна", last_name: "Смирнова", language_code: "ru" };
const privateChat = { id: 5012345678, first_name: "Анна", type: "private" };
const message = (fields: Record<string, unknown>, update_id = 900) => ({
  update_id,
  message: { message_id: 77, from: user, chat: privateChat, date: 1763366400, ...fields },
});

/**
 * A positive signal that the adapter is past a webhook's handling: a send made after
 * it reached the fake, so a call the handling would have made is there by now.
 */
async function laterSendArrived(adapter: TelegramAdapter): Promise<void> {
  await adapter.send(outboxItem({ text: "позже" }));
  await fake.waitForCalls("sendMessage", 1);
}

function outboxItem(part: RenderedPart, chatId = "5012345678"): OutboxItem {
  return {
    id: "out-1",
    channel: "telegram",
    chatId,
    conversationKey: `telegram:${chatId}`,
    contactId: "c-1",
    seq: 1,
    part,
    customerLastInboundAt: null,
    createdAt: Date.now(),
    attempts: 0,
    notBefore: 0,
    status: "pending",
  };
}

describe("telegram webhook", () => {
  let app: FastifyInstance;
  let ingested: InboundEvent[][];
  let adapter: TelegramAdapter;
  beforeEach(async () => {
    ({ app, ingested, adapter } = await setup());
  });
  afterEach(async () => {
    await app.close();
  });

  it("turns the text fixture into a message event", async () => {
    const res = await post(app, fixture("telegram-update-text.json"));
    expect(res.statusCode).toBe(200);
    expect(res.body).toBe("");
    expect(ingested).toEqual([
      [
        {
          type: "message",
          channel: "telegram",
          chatId: "5012345678",
          userId: "5012345678",
          dedupeKey: "871234501",
          platformMessageId: "1024",
          at: 1763366400000,
          text: "Здравствуйте, есть протеиновые батончики?",
          locale: "ru",
          profileName: "Анна Смирнова",
        },
      ],
    ]);
  });

  it("turns the callback fixture into a button press and answers the callback query", async () => {
    const res = await post(app, fixture("telegram-update-callback.json"));
    expect(res.statusCode).toBe(200);
    expect(ingested).toEqual([
      [
        {
          type: "message",
          channel: "telegram",
          chatId: "5012345678",
          userId: "5012345678",
          dedupeKey: "871234502",
          platformMessageId: "1025",
          at: expect.any(Number),
          buttonId: "bar:choco",
          locale: "ru",
          profileName: "Анна Смирнова",
        },
      ],
    ]);
    // answered in the webhook's own 200 (Telegram runs it), not with a second HTTP call
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ method: "answerCallbackQuery", callback_query_id: "2152783456789012345" });
    await laterSendArrived(adapter);
    expect(fake.callsOf("answerCallbackQuery")).toEqual([]);
  });

  it("turns the contact fixture into a phone number", async () => {
    await post(app, fixture("telegram-update-contact.json"));
    expect(ingested[0]?.[0]).toMatchObject({ type: "message", dedupeKey: "871234503", phone: "79161234567" });
  });

  it("takes the /start payload as the source and keeps the text /start", async () => {
    await post(app, message({ text: "/start src_gym_flyer" }));
    expect(ingested[0]?.[0]).toMatchObject({ text: "/start", source: "src_gym_flyer" });
  });

  it("refuses a wrong or missing secret with 401 and ingests nothing", async () => {
    const body = fixture("telegram-update-text.json");
    expect((await post(app, body, { "x-telegram-bot-api-secret-token": "wrong" })).statusCode).toBe(401);
    expect((await post(app, body, { "x-telegram-bot-api-secret-token": `${SECRET}x` })).statusCode).toBe(401);
    expect((await post(app, body, {})).statusCode).toBe(401);
    // the secret is checked before the body is read
    expect((await post(app, "{not json", { "x-telegram-bot-api-secret-token": "wrong" })).statusCode).toBe(401);
    expect(ingested).toEqual([]);
  });

  it("answers malformed JSON with a JSON 400", async () => {
    const res = await post(app, "{not json");
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ error: "FST_ERR_CTP_INVALID_JSON_BODY" });
    expect(ingested).toEqual([]);
  });

  it("answers a body over 1 MiB with 413", async () => {
    const res = await post(app, message({ text: "x".repeat(1024 * 1024) }));
    expect(res.statusCode).toBe(413);
    expect(ingested).toEqual([]);
  });

  it("answers 400 to JSON that is not an update", async () => {
    expect((await post(app, { hello: "world" })).statusCode).toBe(400);
    expect((await post(app, [1, 2])).statusCode).toBe(400);
    expect(ingested).toEqual([]);
  });

  it("acknowledges an update whose known fields are malformed, without events", async () => {
    const res = await post(app, { update_id: 5, message: { text: 1 } });
    expect(res.statusCode).toBe(200);
    expect(ingested).toEqual([]);
  });

  it("acknowledges and ignores unknown update types, edits, channel posts and groups", async () => {
    const bodies = [
      { update_id: 1, poll: { id: "p", question: "?", options: [] } },
      { update_id: 2, edited_message: message({ text: "edited" }).message },
      { update_id: 3, channel_post: { message_id: 1, date: 1, chat: { id: -100123, type: "channel" }, text: "hi" } },
      { update_id: 4, message: { message_id: 1, date: 1, from: user, chat: { id: -100123, type: "supergroup" }, text: "hi" } },
    ];
    for (const body of bodies) expect((await post(app, body)).statusCode).toBe(200);
    expect(ingested).toEqual([]);
  });

  it("maps my_chat_member kicked/member to reachability", async () => {
    const member = (status: string, update_id: number) => ({
      update_id,
      my_chat_member: {
        chat: privateChat,
        from: user,
        date: 1763366500,
        old_chat_member: { status: "member", user: { id: 1, is_bot: true, first_name: "bot" } },
        new_chat_member: { status, user: { id: 1, is_bot: true, first_name: "bot" }, until_date: 0 },
      },
    });
    await post(app, member("kicked", 10));
    await post(app, member("member", 11));
    expect(ingested.flat()).toEqual([
      { type: "reachability", channel: "telegram", chatId: "5012345678", userId: "5012345678", dedupeKey: "10", at: 1763366500000, reachable: false },
      { type: "reachability", channel: "telegram", chatId: "5012345678", userId: "5012345678", dedupeKey: "11", at: 1763366500000, reachable: true },
    ]);
  });

  it("never answers 5xx for arbitrary JSON objects", async () => {
    const updateLike = fc.record(
      {
        update_id: fc.oneof(fc.nat(), fc.integer(), fc.string()),
        message: fc.record(
          { message_id: fc.nat(), date: fc.nat(), chat: fc.record({ id: fc.integer(), type: fc.constantFrom("private", "group") }), text: fc.string() },
          { requiredKeys: [] },
        ),
        callback_query: fc.record({ id: fc.string(), from: fc.record({ id: fc.integer() }), data: fc.string() }, { requiredKeys: [] }),
      },
      { requiredKeys: [] },
    );
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.dictionary(fc.string(), fc.jsonValue()), updateLike), async (body) => {
        const res = await post(app, body);
        expect(res.statusCode).toBeLessThan(500);
      }),
      { numRuns: 150 },
    );
  });
});

describe("telegram webhook when ingest fails", () => {
  it("answers 500 so Telegram redelivers, and leaves the callback unanswered", async () => {
    const { app, adapter, ingested } = await setup({ failIngest: true });
    const res = await post(app, fixture("telegram-update-callback.json"));
    expect(res.statusCode).toBe(500);
    expect(res.json()).not.toHaveProperty("method");
    expect(ingested).toEqual([]);
    await laterSendArrived(adapter);
    expect(fake.callsOf("answerCallbackQuery")).toEqual([]);
    await app.close();
  });
});

describe("parseTelegramUpdate", () => {
  it("reads media, captions, documents and locations", () => {
    const photo = parseTelegramUpdate(
      message({
        caption: "вот чек",
        photo: [
          { file_id: "small", file_unique_id: "a", width: 90, height: 60 },
          { file_id: "big", file_unique_id: "b", width: 1280, height: 853 },
          { file_id: "mid", file_unique_id: "c", width: 320, height: 213 },
        ],
      }),
    );
    expect(photo[0]).toMatchObject({ text: "вот чек", attachments: [{ kind: "photo", fileId: "big" }] });

    const doc = parseTelegramUpdate(message({ document: { file_id: "d1", file_unique_id: "u", file_name: "invoice.pdf", mime_type: "application/pdf" } }));
    expect(doc[0]).toMatchObject({ attachments: [{ kind: "document", fileId: "d1", name: "invoice.pdf", mimeType: "application/pdf" }] });
    expect(doc[0]).not.toHaveProperty("text");

    const voice = parseTelegramUpdate(message({ voice: { file_id: "v1", file_unique_id: "u", duration: 3, mime_type: "audio/ogg" } }));
    expect(voice[0]).toMatchObject({ attachments: [{ kind: "audio", fileId: "v1", mimeType: "audio/ogg" }] });

    const sticker = parseTelegramUpdate(message({ sticker: { file_id: "st", file_unique_id: "u", width: 1, height: 1, type: "regular" } }));
    expect(sticker[0]).toMatchObject({ attachments: [{ kind: "sticker", fileId: "st" }] });

    const loc = parseTelegramUpdate(message({ location: { latitude: 55.75, longitude: 37.61 } }));
    expect(loc[0]).toMatchObject({ location: { lat: 55.75, lon: 37.61 } });
  });

  it("keeps digits only of a shared phone, and never takes someone else's contact card as the customer's phone", () => {
    const own = parseTelegramUpdate(message({ contact: { phone_number: "+7 (916) 123-45-67", first_name: "А", user_id: user.id } }));
    expect(own[0]).toMatchObject({ phone: "79161234567" });
    const other = parseTelegramUpdate(message({ contact: { phone_number: "+79990000000", first_name: "Б", user_id: 42 } }));
    expect(other[0]).not.toHaveProperty("phone");
  });

  it("handles /start variants", () => {
    const src = (text: string) => parseTelegramUpdate(message({ text }))[0];
    expect(src("/start")).toMatchObject({ text: "/start" });
    expect(src("/start")).not.toHaveProperty("source");
    expect(src("/start@sportpit_shop_bot ref_42")).toMatchObject({ text: "/start", source: "ref_42" });
    expect(src(`/start ${"a".repeat(65)}`)).not.toHaveProperty("source");
    expect(src("/start bad!payload")).not.toHaveProperty("source");
    expect(src("/started")).toMatchObject({ text: "/started" });
  });

  it("throws only TelegramUpdateError for arbitrary JSON", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        try {
          const events = parseTelegramUpdate(value);
          expect(Array.isArray(events)).toBe(true);
        } catch (err) {
          expect(err).toBeInstanceOf(TelegramUpdateError);
        }
      }),
      { numRuns: 500 },
    );
    const nested = fc.record({
      update_id: fc.nat(),
      message: fc.record({
        message_id: fc.nat(),
        date: fc.nat(),
        chat: fc.record({ id: fc.integer(), type: fc.constant("private") }),
        from: fc.option(fc.record({ id: fc.integer(), first_name: fc.string() }), { nil: undefined }),
        text: fc.option(fc.string(), { nil: undefined }),
        contact: fc.option(fc.record({ phone_number: fc.string(), user_id: fc.integer() }), { nil: undefined }),
        photo: fc.option(fc.array(fc.record({ file_id: fc.string(), width: fc.nat(), height: fc.nat() })), { nil: undefined }),
      }),
    });
    fc.assert(
      fc.property(nested, fc.jsonValue(), (update, junk) => {
        const events = parseTelegramUpdate({ ...update, extra: junk });
        for (const e of events) expect(e).toMatchObject({ channel: "telegram", dedupeKey: String(update.update_id) });
      }),
      { numRuns: 300 },
    );
  });
});

describe("telegram send", () => {
  const adapter = () => createTelegramAdapter(config(), { botInfo: fake.botInfo, timeoutSeconds: 1 });

  it("sends text with two rows of inline buttons as one sendMessage", async () => {
    const result = await adapter().send(
      outboxItem({
        text: "Какой вкус?",
        buttons: [
          [
            { id: "bar:choco", label: "Шоколад" },
            { id: "bar:vanilla", label: "Ваниль" },
          ],
          [{ id: "handoff", label: "Позвать менеджера" }],
        ],
      }),
    );
    expect(result).toEqual({ ok: true, platformMessageIds: [expect.stringMatching(/^\d+$/)] });
    expect(fake.calls.map((c) => c.method)).toEqual(["sendMessage"]);
    expect(fake.callsOf("sendMessage")[0]?.params).toEqual({
      chat_id: 5012345678,
      text: "Какой вкус?",
      reply_markup: {
        inline_keyboard: [
          [
            { text: "Шоколад", callback_data: "bar:choco" },
            { text: "Ваниль", callback_data: "bar:vanilla" },
          ],
          [{ text: "Позвать менеджера", callback_data: "handoff" }],
        ],
      },
    });
  });

  it("asks for the phone with a request_contact reply keyboard (askPhone wins over buttons)", async () => {
    const result = await adapter().send(
      outboxItem({ text: "Поделитесь номером", askPhone: { label: "📱 Отправить номер" }, buttons: [[{ id: "x", label: "X" }]] }),
    );
    expect(result.ok).toBe(true);
    expect(fake.callsOf("sendMessage")[0]?.params.reply_markup).toEqual({
      keyboard: [[{ text: "📱 Отправить номер", request_contact: true }]],
      resize_keyboard: true,
      one_time_keyboard: true,
    });
  });

  it("removes the reply keyboard when asked", async () => {
    await adapter().send(outboxItem({ text: "Спасибо!", removeKeyboard: true }));
    expect(fake.callsOf("sendMessage")[0]?.params.reply_markup).toEqual({ remove_keyboard: true });
  });

  it("sends a photo with the text as caption", async () => {
    const result = await adapter().send(
      outboxItem({ text: "Батончик 60 г", photoUrl: "https://shop.example/bar.jpg", buttons: [[{ id: "buy:bar", label: "Купить" }]] }),
    );
    expect(result.ok).toBe(true);
    expect(fake.calls.map((c) => c.method)).toEqual(["sendPhoto"]);
    expect(fake.callsOf("sendPhoto")[0]?.params).toEqual({
      chat_id: 5012345678,
      photo: "https://shop.example/bar.jpg",
      caption: "Батончик 60 г",
      reply_markup: { inline_keyboard: [[{ text: "Купить", callback_data: "buy:bar" }]] },
    });
  });

  it("maps 429 to rate_limited with retry_after in ms", async () => {
    fake.failNext(1, { status: 429, retryAfter: 3 });
    const result = await adapter().send(outboxItem({ text: "hi" }));
    expect(result).toEqual({ ok: false, error: { kind: "rate_limited", retryAfterMs: 3000, message: expect.any(String) } });
  });

  it("maps 5xx, non-JSON error pages and timeouts to transient", async () => {
    fake.failNext(1, { status: 500 });
    expect(await adapter().send(outboxItem({ text: "hi" }))).toMatchObject({ ok: false, error: { kind: "transient" } });
    fake.failNext(1, { status: 502, rawBody: "<html>Bad Gateway</html>" });
    expect(await adapter().send(outboxItem({ text: "hi" }))).toMatchObject({ ok: false, error: { kind: "transient" } });
    fake.failNext(1, { status: 500, delayMs: 1500 });
    expect(await adapter().send(outboxItem({ text: "hi" }))).toMatchObject({
      ok: false,
      error: { kind: "transient", message: expect.stringMatching(/timed out/) },
    });
  });

  it("maps 403 to unreachable and other 4xx to permanent", async () => {
    fake.failNext(1, { status: 403, description: "Forbidden: bot was blocked by the user" });
    expect(await adapter().send(outboxItem({ text: "hi" }))).toMatchObject({ ok: false, error: { kind: "unreachable" } });
    fake.failNext(1, { status: 400, description: "Bad Request: chat not found" });
    expect(await adapter().send(outboxItem({ text: "hi" }))).toMatchObject({ ok: false, error: { kind: "permanent" } });
  });

  it("refuses a button id over 64 bytes as permanent without calling the API", async () => {
    const result = await adapter().send(outboxItem({ text: "hi", buttons: [[{ id: "я".repeat(33), label: "x" }]] }));
    expect(result).toMatchObject({ ok: false, error: { kind: "permanent" } });
    expect(fake.calls).toEqual([]);
  });

  it("maps an unreachable API to transient", async () => {
    const down = createTelegramAdapter(config({ apiRoot: "http://127.0.0.1:1" }), { botInfo: fake.botInfo, timeoutSeconds: 1 });
    const result = await down.send(outboxItem({ text: "hi" }));
    expect(result).toMatchObject({ ok: false, error: { kind: "transient" } });
    // the request URL carries the token: it must not reach logs or lastError
    expect(JSON.stringify(result)).not.toContain(TOKEN);
  });
});

describe("telegram bot info", () => {
  it("calls getMe once when no botInfo was given, and again after a failure", async () => {
    const a: TelegramAdapter = createTelegramAdapter(config());
    fake.failNext(1, { status: 500, method: "getMe" });
    await expect(a.getBotInfo()).rejects.toThrow();
    const [one, two] = await Promise.all([a.getBotInfo(), a.getBotInfo()]);
    expect(one?.username).toBe(fake.botInfo.username);
    expect(two).toEqual(one);
    await a.getBotInfo();
    expect(fake.callsOf("getMe")).toHaveLength(2);
  });
});

describe("setTelegramWebhook", () => {
  it("calls setWebhook with the secret and the update types we read", async () => {
    await setTelegramWebhook(config(), "https://shop.example/webhooks/telegram");
    expect(fake.callsOf("setWebhook")[0]?.params).toEqual({
      url: "https://shop.example/webhooks/telegram",
      secret_token: SECRET,
      allowed_updates: ["message", "callback_query", "my_chat_member"],
      drop_pending_updates: false,
    });
  });
});

describe("telegram long polling", () => {
  it("ingests pushed updates, answers callbacks, skips bad updates, and stops cleanly", async () => {
    const ingested: InboundEvent[] = [];
    const ingest: Ingest = async (events) => {
      ingested.push(...events);
      return events.map(() => "queued" as const);
    };
    const a = createTelegramAdapter(config({ mode: "polling", webhookSecret: undefined }), {
      botInfo: fake.botInfo,
      pollTimeoutSeconds: 10,
    });
    await a.start?.({ ingest, log });
    await fake.waitForCalls("getUpdates", 1);
    expect(fake.callsOf("deleteWebhook")[0]?.params).toEqual({ drop_pending_updates: false });

    fake.pushUpdate({ update_id: 500, message: { text: 1 } }, fixture("telegram-update-text.json"));
    fake.pushUpdate(fixture("telegram-update-callback.json"));
    await expect.poll(() => ingested.map((e) => e.dedupeKey), { timeout: 3000 }).toEqual(["871234501", "871234502"]);
    await fake.waitForCalls("answerCallbackQuery", 1);

    // stop ends the long poll in flight (how fast is the bench's business, not a test's)
    await a.stop?.();
    const polls = () => fake.callsOf("getUpdates").filter((c) => c.params.timeout === 10);
    const after = polls().length;
    // the last call confirmed the offset past everything taken
    expect(fake.callsOf("getUpdates").at(-1)?.params).toMatchObject({ offset: 871234503 });
    // a second adapter (polling with timeout 9) gets two long polls answered: a whole
    // long-poll window (the fake's 300 ms) in which a still-running loop would have polled
    const b = createTelegramAdapter(config({ mode: "polling", webhookSecret: undefined }), { botInfo: fake.botInfo, pollTimeoutSeconds: 9 });
    await b.start?.({ ingest, log });
    await expect.poll(() => fake.callsOf("getUpdates").filter((c) => c.params.timeout === 9).length, { timeout: 5000 }).toBeGreaterThanOrEqual(3);
    await b.stop?.();
    expect(polls()).toHaveLength(after);
  });

  it("fetches an update again when ingest failed", async () => {
    let fail = true;
    const ingested: InboundEvent[] = [];
    const ingest: Ingest = async (events) => {
      if (fail) {
        fail = false;
        throw new Error("store down");
      }
      ingested.push(...events);
      return events.map(() => "queued" as const);
    };
    const a = createTelegramAdapter(config({ mode: "polling" }), { botInfo: fake.botInfo, pollTimeoutSeconds: 10 });
    fake.pushUpdate(fixture("telegram-update-text.json"));
    await a.start?.({ ingest, log });
    await expect.poll(() => ingested.length, { timeout: 5000 }).toBe(1);
    await a.stop?.();
  });

  it("does nothing in webhook mode", async () => {
    const a = createTelegramAdapter(config(), { botInfo: fake.botInfo });
    await a.start?.({ ingest: async () => [], log });
    await laterSendArrived(a);
    expect(fake.calls.map((c) => c.method)).toEqual(["sendMessage"]);
    await a.stop?.();
  });
});
