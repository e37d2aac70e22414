import { readFileSync } from "node:fs";
import fc from "fast-check";
import Fastify, { type FastifyInstance } from "fastify";
import { pino } from "pino";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createMaxAdapter, MAX_RATE, MaxUpdateError, parseMaxUpdate, UPDATE_TYPES } from "../../adapters/max/index.ts";
import type { Ingest } from "../../src/channel/port.ts";
import type { MaxConfig } from "../../adapters/max/config.ts";
import { MAX_CAPABILITIES } from "../../src/model/channel.ts";
import type { InboundEvent } from "../../src/model/inbound.ts";
import type { OutboxItem, RenderedPart } from "../../src/model/outbound.ts";
import { FAKE_MAX_TOKEN, maxBotStarted, maxCallback, maxContact, maxText, startFakeMax, type FakeMax } from "../fakes/max-api.ts";

const SECRET = "max_s3cret-Token";
const log = pino({ level: "silent" });
const fixture = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(new URL(`../fixtures/${name}`, import.meta.url), "utf8")) as Record<string, unknown>;

let fake: FakeMax;
beforeAll(async () => {
  fake = await startFakeMax({ maxLongPollMs: 300 });
});
afterAll(async () => {
  await fake.close();
});

const config = (over: Partial<MaxConfig> = {}): MaxConfig => ({ token: FAKE_MAX_TOKEN, webhookSecret: SECRET, apiBase: fake.apiBase, mode: "webhook", ...over });

async function setup(opts: { failIngest?: boolean } = {}) {
  const ingested: InboundEvent[][] = [];
  const ingest: Ingest = async (events) => {
    if (opts.failIngest) throw new Error("store down");
    ingested.push(events);
    return events.map(() => "queued" as const);
  };
  const adapter = createMaxAdapter(config());
  const app = Fastify();
  await adapter.register(app, { ingest, log });
  await app.ready();
  return { app, adapter, ingested };
}

const post = (app: FastifyInstance, body: unknown, headers: Record<string, string> = { "x-max-bot-api-secret": SECRET }) =>
  app.inject({ method: "POST", url: "/webhooks/max", headers: { "content-type": "application/json", ...headers }, payload: typeof body === "string" ? body : JSON.stringify(body) });

function outboxItem(part: RenderedPart, chatId = "-70041001"): OutboxItem {
  return { id: "out-1", channel: "max", chatId, conversationKey: `max:${chatId}`, contactId: "c-1", seq: 1, part, customerLastInboundAt: null, createdAt: Date.now(), attempts: 0, notBefore: 0, status: "pending" };
}

describe("MAX webhook", () => {
  let app: FastifyInstance;
  let ingested: InboundEvent[][];
  beforeEach(async () => {
    ({ app, ingested } = await setup());
  });
  afterEach(async () => {
    await app.close();
  });

  it("turns the text fixture into a message event keyed by mid, replies going to the dialog", async () => {
    const res = await post(app, fixture("max-update-text.json"));
    expect(res.statusCode).toBe(200);
    expect(ingested.flat()).toEqual([
      {
        type: "message",
        channel: "max",
        chatId: "-70041001",
        userId: "41001",
        dedupeKey: "mid.0000000008a53b9b019c44bd612d33e0",
        platformMessageId: "mid.0000000008a53b9b019c44bd612d33e0",
        at: 1770679787821,
        text: "Здравствуйте! Есть батончики без сахара?",
        locale: "ru",
        profileName: "Анна Смирнова",
      },
    ]);
  });

  it("turns the callback fixture into a button press and answers it with POST /answers", async () => {
    const res = await post(app, fixture("max-update-callback.json"));
    expect(res.statusCode).toBe(200);
    expect(ingested.flat()).toEqual([expect.objectContaining({ chatId: "-70041001", userId: "41001", buttonId: "catalogue", dedupeKey: expect.stringMatching(/^cb:f9LHod/) })]);
    const id = (fixture("max-update-callback.json").callback as { callback_id: string }).callback_id;
    await expect.poll(() => fake.answered().includes(id), { timeout: 5_000 }).toBe(true);
    const answer = fake.callsTo("POST", "/answers").find((c) => c.query.callback_id === id)!;
    expect(answer.body).toEqual({ notification: "✓" });
  });

  it("reads the customer's own shared contact as a phone, digits only; another person's card is not theirs", async () => {
    await post(app, fixture("max-update-contact.json"));
    expect(ingested.flat()[0]).toMatchObject({ phone: "79161234567" });
    expect(ingested.flat()[0]).not.toHaveProperty("text");
    await post(app, maxContact({ userId: 41002, phone: "+7 903 555-12-34", ownerId: 41999 }));
    const foreign = ingested.flat()[1]!;
    expect(foreign).not.toHaveProperty("phone");
    expect(foreign).toMatchObject({ hints: { foreignContact: true } });
  });

  it("takes bot_started's payload as the source (src_, ref_, aud_ links) and sends /start", async () => {
    await post(app, fixture("max-update-bot-started.json"));
    await post(app, maxBotStarted({ userId: 41003, payload: "ref_Ab3dE" }));
    await post(app, maxBotStarted({ userId: 41004, payload: "aud_partner" }));
    await post(app, maxBotStarted({ userId: 41005, payload: "x y <script>" }));
    await post(app, maxBotStarted({ userId: 41006 }));
    const events = ingested.flat() as { text?: string; source?: string }[];
    expect(events.map((e) => [e.text, e.source])).toEqual([
      ["/start", "src_gym_flyer"],
      ["/start", "ref_Ab3dE"],
      ["/start", "aud_partner"],
      ["/start", undefined],
      ["/start", undefined],
    ]);
    // a typed "/start src_x" works like the link
    await post(app, maxText({ userId: 41007, text: "/start src_gym_flyer" }));
    expect(ingested.flat().at(-1)).toMatchObject({ text: "/start", source: "src_gym_flyer" });
  });

  it("notes attachments and locations", async () => {
    const photo = maxText({ userId: 41010, text: "вот чек" });
    (photo.message as { body: { attachments: unknown[] } }).body.attachments = [
      { type: "image", payload: { photo_id: 1, url: "https://i.oneme.ru/i?r=abc", token: "tok1" } },
      { type: "file", payload: { url: "https://files.max.ru/f", token: "tok2" }, filename: "invoice.pdf", size: 100 },
      { type: "location", latitude: 55.75, longitude: 37.61 },
      { type: "share", payload: { url: "https://example.com" } },
    ];
    await post(app, photo);
    expect(ingested.flat()[0]).toMatchObject({
      text: "вот чек",
      location: { lat: 55.75, lon: 37.61 },
      attachments: [
        { kind: "photo", url: "https://i.oneme.ru/i?r=abc", fileId: "tok1" },
        { kind: "document", url: "https://files.max.ru/f", fileId: "tok2", name: "invoice.pdf" },
        { kind: "other", url: "https://example.com" },
      ],
    });
  });

  it("maps bot_stopped to unreachable; ignores group chats, bots and the update types it does not read", async () => {
    await post(app, { update_type: "bot_stopped", timestamp: 5, chat_id: -70041001, user: { user_id: 41001, name: "А" } });
    const group = maxText({ userId: 41011, text: "всем привет" });
    (group.message as { recipient: { chat_type: string } }).recipient.chat_type = "chat";
    for (const body of [group, { update_type: "message_edited", timestamp: 1, message: {} }, { update_type: "bot_added", timestamp: 1, chat_id: -5, user: { user_id: 1 } }]) {
      expect((await post(app, body)).statusCode).toBe(200);
    }
    expect(ingested.flat()).toEqual([{ type: "reachability", channel: "max", chatId: "-70041001", userId: "41001", dedupeKey: "stop:-70041001:41001:5", at: 5, reachable: false }]);
  });

  it("refuses a wrong, longer, shorter or missing secret with 401 and ingests nothing", async () => {
    const body = fixture("max-update-text.json");
    const forged: Record<string, string>[] = [{ "x-max-bot-api-secret": "wrong" }, { "x-max-bot-api-secret": `${SECRET}x` }, { "x-max-bot-api-secret": SECRET.slice(0, -1) }, {}];
    for (const headers of forged) {
      expect((await post(app, body, headers)).statusCode).toBe(401);
    }
    expect(ingested).toEqual([]);
  });

  it("answers malformed JSON and non-updates with 400, an update with unreadable known fields with 200, and stays up", async () => {
    expect((await post(app, '{"update_type": "message_created", ')).statusCode).toBe(400);
    expect((await post(app, [1, 2, 3])).statusCode).toBe(400);
    expect((await post(app, { hello: "world" })).statusCode).toBe(400);
    expect((await post(app, { update_type: "message_created", timestamp: 1, message: { body: { mid: 5 } } })).statusCode).toBe(200);
    expect((await post(app, "x".repeat(1024 * 1024 + 1))).statusCode).toBe(413);
    expect((await post(app, fixture("max-update-text.json"))).statusCode).toBe(200);
    expect(ingested).toHaveLength(1);
  });

  it("never answers 5xx for arbitrary JSON carrying the right secret", async () => {
    const user = fc.record({ user_id: fc.oneof(fc.integer(), fc.string()), name: fc.string(), is_bot: fc.boolean() }, { requiredKeys: [] });
    const updateLike = fc.record(
      {
        update_type: fc.oneof(fc.constantFrom(...UPDATE_TYPES, "message_edited", "dialog_muted"), fc.string()),
        timestamp: fc.oneof(fc.nat(), fc.string()),
        chat_id: fc.integer(),
        user,
        payload: fc.oneof(fc.string(), fc.constant(null)),
        callback: fc.record({ callback_id: fc.string(), payload: fc.string(), user }, { requiredKeys: [] }),
        message: fc.record(
          {
            sender: user,
            recipient: fc.record({ chat_id: fc.integer(), chat_type: fc.constantFrom("dialog", "chat") }, { requiredKeys: [] }),
            timestamp: fc.nat(),
            body: fc.record({ mid: fc.string(), text: fc.oneof(fc.string(), fc.constant(null)), attachments: fc.array(fc.record({ type: fc.constantFrom("contact", "image", "location", "x"), payload: fc.jsonValue() }, { requiredKeys: [] })) }, { requiredKeys: [] }),
          },
          { requiredKeys: [] },
        ),
      },
      { requiredKeys: [] },
    );
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.jsonValue(), updateLike), async (body) => {
        const res = await post(app, body);
        expect(res.statusCode).toBeLessThan(500);
      }),
      { numRuns: 200 },
    );
  });
});

describe("parseMaxUpdate", () => {
  it("throws only MaxUpdateError for arbitrary input", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        try {
          parseMaxUpdate(v);
        } catch (err) {
          expect(err).toBeInstanceOf(MaxUpdateError);
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe("MAX webhook when ingest fails", () => {
  it("answers 500 so MAX delivers again, and leaves the button unanswered", async () => {
    const { app } = await setup({ failIngest: true });
    const before = fake.answered().length;
    const res = await post(app, maxCallback({ userId: 41020, payload: "buy" }));
    expect(res.statusCode).toBe(500);
    expect(fake.answered()).toHaveLength(before);
    await app.close();
  });
});

describe("MAX send", () => {
  const adapter = () => createMaxAdapter(config());
  const last = () => fake.sent().at(-1)!;

  it("declares MAX's rate and capabilities", () => {
    expect(adapter().rate).toEqual(MAX_RATE);
    expect(MAX_RATE.perSecond).toBe(30);
    expect(adapter().capabilities).toBe(MAX_CAPABILITIES);
    expect(MAX_CAPABILITIES.maxTextLength).toBe(4000);
  });

  it("sends text with rows of callback buttons as one POST /messages to the dialog", async () => {
    const r = await adapter().send(outboxItem({ text: "Чем помочь?", buttons: [[{ id: "catalogue", label: "Каталог" }, { id: "prices", label: "Цены" }], [{ id: "__person", label: "Позвать человека" }]] }));
    expect(r).toEqual({ ok: true, platformMessageIds: [last().mid] });
    const call = fake.callsTo("POST", "/messages").at(-1)!;
    expect(call.query).toEqual({ chat_id: "-70041001" });
    expect(call.body).toEqual({
      text: "Чем помочь?",
      attachments: [{ type: "inline_keyboard", payload: { buttons: [[{ type: "callback", text: "Каталог", payload: "catalogue" }, { type: "callback", text: "Цены", payload: "prices" }], [{ type: "callback", text: "Позвать человека", payload: "__person" }]] } }],
    });
  });

  it("asks for the phone with a request_contact button in a row of its own, under any choices", async () => {
    await adapter().send(outboxItem({ text: "Телефон для связи?", askPhone: { label: "📱 Отправить номер" }, buttons: [[{ id: "__person", label: "Позвать человека" }]] }));
    expect(last().attachments[0]!.payload.buttons).toEqual([[{ type: "callback", text: "Позвать человека", payload: "__person" }], [{ type: "request_contact", text: "📱 Отправить номер" }]]);
  });

  it("sends a photo as an image attachment by URL with the text beside it", async () => {
    await adapter().send(outboxItem({ text: "Шоколадный брауни — 149 ₽", photoUrl: "https://shop.example/bar_choco.jpg", buttons: [[{ id: "add", label: "В корзину" }]] }));
    expect(last().text).toBe("Шоколадный брауни — 149 ₽");
    expect(last().attachments.map((a) => a.type)).toEqual(["image", "inline_keyboard"]);
    expect(last().attachments[0]!.payload).toEqual({ url: "https://shop.example/bar_choco.jpg" });
  });

  it("refuses what MAX would reject without calling it: too long, too many in a row, empty, not a chat id", async () => {
    const calls = fake.callsTo("POST", "/messages").length;
    const row = Array.from({ length: 8 }, (_, i) => ({ id: `b${i}`, label: String(i) }));
    for (const [part, chat] of [
      [{ text: "x".repeat(4001) }, undefined],
      [{ text: "ok", buttons: [row] }, undefined],
      [{ text: "  " }, undefined],
      [{ text: "ok" }, "@someone"],
    ] as const) {
      const r = await adapter().send(outboxItem(part as RenderedPart, chat));
      expect(r).toMatchObject({ ok: false, error: { kind: "permanent" } });
    }
    expect(fake.callsTo("POST", "/messages")).toHaveLength(calls);
  });

  it("maps 429 to rate_limited, 5xx / error pages / a dead server to transient, 403 and a gone dialog to unreachable, other 4xx to permanent", async () => {
    const a = adapter();
    const send = () => a.send(outboxItem({ text: "привет" }));
    fake.failNext(1, { status: 429, path: "/messages" });
    expect(await send()).toMatchObject({ ok: false, error: { kind: "rate_limited", retryAfterMs: 1000 } });
    fake.failNext(1, { status: 503, path: "/messages" });
    expect(await send()).toMatchObject({ ok: false, error: { kind: "transient" } });
    fake.failNext(1, { status: 502, path: "/messages", rawBody: "<html>Bad Gateway</html>" });
    expect(await send()).toMatchObject({ ok: false, error: { kind: "transient" } });
    fake.failNext(1, { status: 403, code: "chat.denied", message: "bot is blocked by the user", path: "/messages" });
    expect(await send()).toMatchObject({ ok: false, error: { kind: "unreachable", message: expect.stringContaining("blocked") } });
    fake.failNext(1, { status: 404, code: "chat.not.found", message: "Chat -70041001 not found", path: "/messages" });
    expect(await send()).toMatchObject({ ok: false, error: { kind: "unreachable" } });
    fake.failNext(1, { status: 400, code: "proto.payload", message: "bad", path: "/messages" });
    expect(await send()).toMatchObject({ ok: false, error: { kind: "permanent" } });
    const wrongToken = createMaxAdapter(config({ token: "not-the-token" }));
    expect(await wrongToken.send(outboxItem({ text: "привет" }))).toMatchObject({ ok: false, error: { kind: "permanent", message: expect.stringContaining("401") } });
    const dead = createMaxAdapter(config({ apiBase: "http://127.0.0.1:9" }));
    expect(await dead.send(outboxItem({ text: "привет" }))).toMatchObject({ ok: false, error: { kind: "transient" } });
    // and after all that, a send goes through
    expect(await send()).toMatchObject({ ok: true });
  });
});
