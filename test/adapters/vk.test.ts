import { readFileSync } from "node:fs";
import fc from "fast-check";
import Fastify, { type FastifyInstance } from "fastify";
import { pino } from "pino";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createVkAdapter, parseVkCallback, VkParseError, vkRandomId } from "../../adapters/vk/index.ts";
import type { ChannelAdapter } from "../../src/channel/port.ts";
import type { VkConfig } from "../../adapters/vk/config.ts";
import type { InboundEvent, InboundMessage, InboundReachability } from "../../src/model/inbound.ts";
import type { OutboxItem, RenderedPart } from "../../src/model/outbound.ts";
import type { EnqueueOutcome } from "../../src/store/port.ts";
import {
  FAKE_VK_CONFIRMATION,
  FAKE_VK_GROUP_ID,
  FAKE_VK_SECRET,
  startFakeVk,
  vkEvent,
  vkMessageNew,
  type FakeVk,
} from "../fakes/vk-api.ts";

/** The platform's sample payloads, kept in test/fixtures. */
function load(name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(new URL(`../fixtures/${name}`, import.meta.url), "utf8")) as Record<string, unknown>;
}

const USER = 712345678;

let fake: FakeVk;
let adapter: ChannelAdapter;
let app: FastifyInstance;
let ingested: InboundEvent[] = [];
let ingestFails = false;

const config = (): VkConfig => ({
  token: "vk1.a.fake-group-token",
  groupId: FAKE_VK_GROUP_ID,
  secret: FAKE_VK_SECRET,
  confirmationCode: FAKE_VK_CONFIRMATION,
  apiBase: fake.apiBase,
});

const post = (payload: unknown, headers: Record<string, string> = {}) =>
  app.inject({
    method: "POST",
    url: "/webhooks/vk",
    headers: { "content-type": "application/json", ...headers },
    payload: typeof payload === "string" ? payload : JSON.stringify(payload),
  });

function item(part: RenderedPart, over: Partial<OutboxItem> = {}): OutboxItem {
  const id = over.id ?? `out-${Math.random().toString(36).slice(2)}`;
  return {
    id,
    channel: "vk",
    chatId: String(USER),
    conversationKey: `vk:${USER}`,
    contactId: "c1",
    seq: 1,
    part,
    customerLastInboundAt: Date.now(),
    createdAt: Date.now(),
    attempts: 0,
    notBefore: 0,
    status: "pending",
    ...over,
  };
}

beforeAll(async () => {
  fake = await startFakeVk({ token: "vk1.a.fake-group-token" });
  adapter = createVkAdapter(config(), { apiLimit: 1000 });
  app = Fastify();
  await adapter.register(app, {
    ingest: async (events): Promise<EnqueueOutcome[]> => {
      if (ingestFails) throw new Error("store down");
      ingested.push(...events);
      return events.map(() => "queued");
    },
    log: pino({ level: "silent" }),
  });
  await app.ready();
});

afterAll(async () => {
  await app.close();
  await fake.close();
});

beforeEach(() => {
  ingested = [];
  ingestFails = false;
  fake.reset();
});

describe("VK Callback API webhook", () => {
  it("answers the confirmation request with the confirmation code", async () => {
    const res = await post(load("vk-callback-confirmation.json"));
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toMatch(/^text\/plain/);
    expect(res.body).toBe(FAKE_VK_CONFIRMATION);
  });

  it("refuses confirmation for another group or with a wrong secret", async () => {
    const other = { ...load("vk-callback-confirmation.json"), group_id: 1 };
    expect((await post(other)).statusCode).toBe(403);
    const wrong = { ...load("vk-callback-confirmation.json"), secret: "nope" };
    expect((await post(wrong)).statusCode).toBe(403);
    const { secret: _omit, ...noSecret } = load("vk-callback-confirmation.json");
    expect((await post(noSecret)).body).toBe(FAKE_VK_CONFIRMATION);
  });

  it("turns a plain message_new into a message event and answers ok", async () => {
    const res = await post(load("vk-callback-message-new.json"));
    expect(res.statusCode).toBe(200);
    expect(res.body).toBe("ok");
    expect(ingested).toEqual([
      {
        type: "message",
        channel: "vk",
        chatId: String(USER),
        userId: String(USER),
        dedupeKey: "9e2c4a6b8d0f1e3a5c7b9d1f3e5a7c9b0d2f4a6c",
        platformMessageId: "1543",
        at: 1763366400 * 1000,
        text: "Здравствуйте, есть протеиновые батончики?",
        locale: "ru",
        hints: { vkKeyboard: true, vkInline: true, vkCallback: true },
      },
    ]);
  });

  it("passes a foreign keyboard payload on as the raw buttonId", async () => {
    const res = await post(load("vk-callback-message-new-payload.json"));
    expect(res.body).toBe("ok");
    const [e] = ingested as InboundMessage[];
    expect(e?.buttonId).toBe('{"cmd":"catalog","category":"protein_bars"}');
    expect(e?.text).toBe("Протеиновые батончики");
    expect(e?.dedupeKey).toBe("1f3e5d7c9b0a2c4e6a8b0d2f4e6c8a0b2d4f6e8a");
    expect(e?.platformMessageId).toBe("1545");
  });

  it("reads our own {b} payload back as the button id, and VK's Start button as /start", async () => {
    await post(vkEvent("message_new", vkMessageNew({ peerId: USER, text: "Батончики", payload: { b: "cat_bars" } })));
    await post(vkEvent("message_new", vkMessageNew({ peerId: USER, text: "Начать", payload: { command: "start" } })));
    const [bars, start] = ingested as InboundMessage[];
    expect(bars?.buttonId).toBe("cat_bars");
    expect(start?.text).toBe("/start");
    expect(start?.buttonId).toBeUndefined();
  });

  it("takes the source from ref (sanitised) and keeps ref_source as a hint", async () => {
    await post(vkEvent("message_new", vkMessageNew({ peerId: USER, text: "hi", ref: "promo_spring-24!<x>", refSource: "qr_shop" })));
    const [e] = ingested as InboundMessage[];
    expect(e?.source).toBe("promo_spring-24x");
    expect(e?.hints?.vkRefSource).toBe("qr_shop");
  });

  it("reads attachments, geo, client_info and language", async () => {
    const obj = vkMessageNew({
      peerId: USER,
      text: "",
      clientInfo: { keyboard: false, inline_keyboard: false, button_actions: ["text"], lang_id: 3 },
      attachments: [
        {
          type: "photo",
          photo: {
            id: 5,
            owner_id: USER,
            access_key: "k",
            sizes: [
              { type: "s", url: "https://vk.example/s.jpg", width: 75, height: 50 },
              { type: "w", url: "https://vk.example/w.jpg", width: 1280, height: 960 },
              { type: "m", url: "https://vk.example/m.jpg", width: 130, height: 98 },
            ],
          },
        },
        { type: "doc", doc: { id: 7, owner_id: USER, title: "invoice.pdf", url: "https://vk.example/doc" } },
        { type: "sticker", sticker: { sticker_id: 9, images: [{ url: "https://vk.example/st.png", width: 128, height: 128 }] } },
        { type: "wall", wall: { id: 1 } },
      ],
    });
    (obj.message as Record<string, unknown>).geo = { type: "point", coordinates: { latitude: 55.75, longitude: 37.62 } };
    await post(vkEvent("message_new", obj));
    const [e] = ingested as InboundMessage[];
    expect(e?.text).toBeUndefined();
    expect(e?.attachments).toEqual([
      { kind: "photo", url: "https://vk.example/w.jpg", fileId: `photo${USER}_5_k` },
      { kind: "document", url: "https://vk.example/doc", name: "invoice.pdf", fileId: `doc${USER}_7` },
      { kind: "sticker", url: "https://vk.example/st.png", fileId: "9" },
      { kind: "other", name: "wall" },
    ]);
    expect(e?.location).toEqual({ lat: 55.75, lon: 37.62 });
    expect(e?.hints).toEqual({ vkKeyboard: false, vkInline: false, vkCallback: false });
    expect(e?.locale).toBe("en");
  });

  it("ignores group chats but still answers ok", async () => {
    const res = await post(vkEvent("message_new", vkMessageNew({ peerId: 2000000005, text: "hi" })));
    expect(res.body).toBe("ok");
    expect(ingested).toEqual([]);
  });

  it("refuses a wrong or missing secret with 403 and ingests nothing", async () => {
    const body = load("vk-callback-message-new.json");
    expect((await post({ ...body, secret: "wrong" })).statusCode).toBe(403);
    const { secret: _omit, ...noSecret } = body;
    expect((await post(noSecret)).statusCode).toBe(403);
    expect((await post({ ...body, group_id: 42 })).statusCode).toBe(403);
    expect(ingested).toEqual([]);
  });

  it("answers 400 for malformed JSON or a body that is not an event", async () => {
    expect((await post("{not json")).statusCode).toBe(400);
    expect((await post([1, 2])).statusCode).toBe(400);
    expect((await post({ object: {} })).statusCode).toBe(400);
    expect((await post("")).statusCode).toBe(400);
  });

  it("does not depend on VK's Content-Type header", async () => {
    const res = await app.inject({ method: "POST", url: "/webhooks/vk", payload: JSON.stringify(load("vk-callback-message-new.json")) });
    expect(res.body).toBe("ok");
    const plain = await post(load("vk-callback-message-new.json"), { "content-type": "text/plain" });
    expect(plain.body).toBe("ok");
    expect(ingested).toHaveLength(2);
  });

  it("answers 413 for a body over 1 MiB", async () => {
    const big = vkEvent("message_new", vkMessageNew({ peerId: USER, text: "x".repeat(1024 * 1024) }));
    const res = await post(big);
    expect(res.statusCode).toBe(413);
    expect(ingested).toEqual([]);
  });

  it("answers ok without events for kinds it does not handle", async () => {
    for (const type of ["message_reply", "message_edit", "group_join", "wall_post_new", "something_new"]) {
      const res = await post(vkEvent(type, { id: 1, peer_id: USER, from_id: USER, text: "x", date: 1 }));
      expect(res.statusCode).toBe(200);
      expect(res.body).toBe("ok");
    }
    expect(ingested).toEqual([]);
  });

  it("turns message_allow / message_deny into reachability events", async () => {
    await post(vkEvent("message_allow", { user_id: USER, key: "promo" }, { eventId: "allow-1" }));
    await post(vkEvent("message_deny", { user_id: USER }, { eventId: "deny-1" }));
    const [allow, deny] = ingested as InboundReachability[];
    expect(allow).toMatchObject({ type: "reachability", channel: "vk", chatId: String(USER), userId: String(USER), dedupeKey: "allow-1", reachable: true, optIn: true });
    expect(deny).toMatchObject({ type: "reachability", dedupeKey: "deny-1", reachable: false, optIn: false });
  });

  it("turns a callback button press into a message and answers the event", async () => {
    const res = await post(
      vkEvent(
        "message_event",
        { user_id: USER, peer_id: USER, event_id: "3f9a1b2c4d5e", payload: { b: "csat_5" }, conversation_message_id: 90 },
        { eventId: "env-evt-1" },
      ),
    );
    expect(res.body).toBe("ok");
    expect(ingested).toMatchObject([{ type: "message", chatId: String(USER), userId: String(USER), buttonId: "csat_5", dedupeKey: "env-evt-1" }]);
    const call = await fake.waitForCall("messages.sendMessageEventAnswer");
    expect(call.params).toMatchObject({ event_id: "3f9a1b2c4d5e", user_id: String(USER), peer_id: String(USER) });
  });

  it("survives a failing sendMessageEventAnswer", async () => {
    fake.failNext(1, { code: 100, msg: "event expired", method: "messages.sendMessageEventAnswer" });
    const res = await post(vkEvent("message_event", { user_id: USER, peer_id: USER, event_id: "e2", payload: { x: 1 } }));
    expect(res.body).toBe("ok");
    expect((ingested[0] as InboundMessage).buttonId).toBe('{"x":1}');
    await fake.waitForCall("messages.sendMessageEventAnswer");
  });

  it("answers 500 when ingest fails, so VK redelivers", async () => {
    ingestFails = true;
    const res = await post(load("vk-callback-message-new.json"));
    expect(res.statusCode).toBe(500);
    expect(res.body).not.toBe("ok");
  });

  it("never answers 5xx for arbitrary JSON carrying the right secret", async () => {
    const types = fc.oneof(
      fc.constantFrom("message_new", "message_event", "message_allow", "message_deny", "confirmation", "message_reply"),
      fc.string(),
    );
    await fc.assert(
      fc.asyncProperty(types, fc.jsonValue(), fc.boolean(), async (type, object, wrapMessage) => {
        const body = vkEvent(type, wrapMessage ? { message: object, client_info: object } : object);
        const res = await post(body);
        expect(res.statusCode).toBeLessThan(500);
      }),
      { numRuns: 200 },
    );
    await fc.assert(
      fc.asyncProperty(fc.jsonValue(), async (value) => {
        const res = await post(JSON.stringify(value));
        expect(res.statusCode).toBeLessThan(500);
      }),
      { numRuns: 100 },
    );
  });
});

describe("parseVkCallback", () => {
  it("throws only VkParseError, otherwise returns events", () => {
    const envelope = fc.record({
      type: fc.oneof(fc.constantFrom("message_new", "message_event", "message_allow", "message_deny", "confirmation"), fc.string()),
      object: fc.jsonValue(),
      group_id: fc.oneof(fc.integer(), fc.jsonValue()),
      event_id: fc.oneof(fc.string(), fc.jsonValue()),
      secret: fc.jsonValue(),
    }, { requiredKeys: [] });
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), envelope), (body) => {
        try {
          const events = parseVkCallback(body);
          expect(Array.isArray(events)).toBe(true);
          for (const e of events) expect(e.channel).toBe("vk");
        } catch (err) {
          expect(err).toBeInstanceOf(VkParseError);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it("parses near-valid message_new objects without throwing", () => {
    const message = fc.record(
      {
        date: fc.oneof(fc.integer(), fc.jsonValue()),
        from_id: fc.oneof(fc.integer(), fc.string()),
        peer_id: fc.oneof(fc.integer(), fc.string()),
        id: fc.jsonValue(),
        text: fc.oneof(fc.string(), fc.jsonValue()),
        payload: fc.oneof(fc.string(), fc.json()),
        ref: fc.oneof(fc.string(), fc.jsonValue()),
        attachments: fc.oneof(fc.array(fc.record({ type: fc.string(), photo: fc.jsonValue(), doc: fc.jsonValue() })), fc.jsonValue()),
        geo: fc.jsonValue(),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(message, fc.jsonValue(), (m, info) => {
        const events = parseVkCallback({ type: "message_new", group_id: 1, event_id: "e", object: { message: m, client_info: info } });
        for (const e of events) expect(e.type).toBe("message");
      }),
      { numRuns: 1000 },
    );
  });
});

describe("fake VK API", () => {
  it("accepts multipart and query-string parameters and checks the token", async () => {
    const form = new FormData();
    form.set("access_token", "vk1.a.fake-group-token");
    form.set("v", "5.199");
    form.set("peer_id", String(USER));
    form.set("message", "multipart");
    const viaForm = await fetch(`${fake.apiBase}/messages.send?random_id=7`, { method: "POST", body: form });
    expect(await viaForm.json()).toEqual({ response: expect.any(Number) });
    const noToken = await fetch(`${fake.apiBase}/utils.getServerTime?v=5.199`, { method: "POST" });
    expect(await noToken.json()).toMatchObject({ error: { error_code: 5 } });
    expect(fake.delivered()).toMatchObject([{ text: "multipart", randomId: "7" }]);
  });
});

describe("VK send()", () => {
  const buttons = [
    [
      { id: "cat_bars", label: "Батончики" },
      { id: "cat_shakes", label: "Коктейли" },
    ],
    [{ id: "human", label: "Позвать человека" }],
  ];

  it("sends buttons as an inline keyboard with {b} payloads", async () => {
    const res = await adapter.send(item({ text: "Что вас интересует?", buttons }));
    expect(res.ok).toBe(true);
    const [msg] = fake.delivered();
    expect(res).toEqual({ ok: true, platformMessageIds: [String(msg?.messageId)] });
    expect(msg?.params).toMatchObject({ peer_id: String(USER), message: "Что вас интересует?", dont_parse_links: "1", v: "5.199" });
    expect(msg?.keyboard).toEqual({
      inline: true,
      buttons: [
        [
          { action: { type: "text", label: "Батончики", payload: '{"b":"cat_bars"}' }, color: "secondary" },
          { action: { type: "text", label: "Коктейли", payload: '{"b":"cat_shakes"}' }, color: "secondary" },
        ],
        [{ action: { type: "text", label: "Позвать человека", payload: '{"b":"human"}' }, color: "secondary" }],
      ],
    });
  });

  it("falls back to a one-time standard keyboard when the client has no inline keyboards", async () => {
    await adapter.send(item({ text: "Выберите", buttons }, { hints: { vkInline: false, vkKeyboard: true } }));
    const [msg] = fake.delivered();
    expect(msg?.keyboard).toMatchObject({ inline: false, one_time: true });
  });

  it("falls back to numbered text when the client has no keyboards at all", async () => {
    await adapter.send(item({ text: "Выберите", buttons }, { hints: { vkInline: false, vkKeyboard: false } }));
    const [msg] = fake.delivered();
    expect(msg?.params.keyboard).toBeUndefined();
    expect(msg?.text).toBe("Выберите\n\n1. Батончики\n2. Коктейли\n3. Позвать человека");
  });

  it("uses a standard keyboard when the buttons do not fit an inline one", async () => {
    const many = Array.from({ length: 12 }, (_, i) => [{ id: `c${i}`, label: `Вариант ${i}` }]);
    await adapter.send(item({ text: "Много", buttons: many }));
    const [msg] = fake.delivered();
    const kb = msg?.keyboard as { inline: boolean; buttons: unknown[][] };
    expect(kb.inline).toBe(false);
    expect(kb.buttons.length).toBeLessThanOrEqual(10);
    expect(kb.buttons.flat()).toHaveLength(12);
  });

  it("appends a photo URL on its own line and lets VK preview it", async () => {
    await adapter.send(item({ text: "Наш батончик", photoUrl: "https://shop.example/bar.jpg" }));
    const [msg] = fake.delivered();
    expect(msg?.text).toBe("Наш батончик\nhttps://shop.example/bar.jpg");
  });

  it("removes the keyboard with an empty one", async () => {
    await adapter.send(item({ text: "Спасибо", removeKeyboard: true }));
    expect(fake.delivered()[0]?.keyboard).toEqual({ buttons: [], one_time: true });
  });

  it("never delivers one item twice: random_id is derived from the item id", async () => {
    const it1 = item({ text: "Заказ принят" }, { id: "outbox-42" });
    const first = await adapter.send(it1);
    const again = await adapter.send({ ...it1, attempts: 1 });
    expect(first).toEqual(again);
    expect(fake.delivered()).toHaveLength(1);
    expect(fake.calls.filter((c) => c.method === "messages.send")).toHaveLength(2);
    expect(fake.delivered()[0]?.randomId).toBe(String(vkRandomId("outbox-42")));
    expect(vkRandomId("outbox-42")).toBeGreaterThan(0);
    expect(vkRandomId("outbox-42")).toBeLessThan(2 ** 31);
  });

  it("maps error 6 and 9 to rate_limited", async () => {
    fake.failNext(1, { code: 6, msg: "Too many requests per second" });
    expect(await adapter.send(item({ text: "x" }))).toEqual({
      ok: false,
      error: { kind: "rate_limited", retryAfterMs: 1000, message: "Code №6 - Too many requests per second" },
    });
    fake.failNext(1, { code: 9, msg: "Flood control" });
    expect(await adapter.send(item({ text: "x" }))).toMatchObject({ ok: false, error: { kind: "rate_limited", retryAfterMs: 3000 } });
    expect(fake.delivered()).toHaveLength(0);
  });

  it("maps 901 to unreachable, 911 to permanent and 10 to transient", async () => {
    fake.failNext(1, { code: 901, msg: "Can't send messages for users without permission" });
    expect(await adapter.send(item({ text: "x" }))).toMatchObject({ ok: false, error: { kind: "unreachable" } });
    fake.failNext(1, { code: 911, msg: "Keyboard format is invalid" });
    expect(await adapter.send(item({ text: "x" }))).toMatchObject({ ok: false, error: { kind: "permanent" } });
    fake.failNext(1, { code: 10, msg: "Internal server error" });
    expect(await adapter.send(item({ text: "x" }))).toMatchObject({ ok: false, error: { kind: "transient" } });
  });

  it("maps HTTP 500 and a dead server to transient, and a retry then delivers once", async () => {
    fake.failNext(1, { status: 500 });
    const it1 = item({ text: "Повтор" });
    expect(await adapter.send(it1)).toMatchObject({ ok: false, error: { kind: "transient" } });
    expect(await adapter.send(it1)).toMatchObject({ ok: true });
    expect(fake.delivered()).toHaveLength(1);

    const dead = createVkAdapter({ ...config(), apiBase: "http://127.0.0.1:1/method" });
    expect(await dead.send(item({ text: "x" }))).toMatchObject({ ok: false, error: { kind: "transient" } });
  });

  it("maps a timeout to transient", async () => {
    const slow = await startFakeVk({ latencyMs: 300 });
    try {
      const hurried = createVkAdapter({ ...config(), apiBase: slow.apiBase }, { timeoutMs: 50 });
      expect(await hurried.send(item({ text: "x" }))).toMatchObject({ ok: false, error: { kind: "transient" } });
      await hurried.stop?.();
    } finally {
      await slow.close();
    }
  });

  it("gives up on a non-numeric chat id without calling VK", async () => {
    expect(await adapter.send(item({ text: "x" }, { chatId: "web-session" }))).toMatchObject({ ok: false, error: { kind: "permanent" } });
    expect(fake.calls).toHaveLength(0);
  });

  it("declares VK's rate and capabilities", () => {
    expect(adapter.channel).toBe("vk");
    expect(adapter.rate).toEqual({ perSecond: 20, perChatPerSecond: 1, perChatBurst: 5 });
    expect(adapter.capabilities.maxTextLength).toBe(9000);
  });
});

afterEach(() => {
  ingestFails = false;
});
