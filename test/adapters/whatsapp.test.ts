import { readFileSync } from "node:fs";
import fc from "fast-check";
import Fastify, { type FastifyInstance } from "fastify";
import { pino } from "pino";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createWhatsAppAdapter, parseWhatsAppWebhook, WhatsAppPayloadError } from "../../adapters/whatsapp/index.ts";
import type { ChannelAdapter } from "../../src/channel/port.ts";
import type { WhatsAppConfig } from "../../adapters/whatsapp/config.ts";
import type { InboundEvent, InboundMessage, InboundStatus } from "../../src/model/inbound.ts";
import type { OutboxItem, RenderedPart } from "../../src/model/outbound.ts";
import type { EnqueueOutcome } from "../../src/store/port.ts";
import {
  signWhatsApp,
  startFakeWhatsApp,
  waButtonReply,
  waStatus,
  waText,
  whatsappBatch,
  type FakeWhatsApp,
} from "../fakes/whatsapp-api.ts";

const SECRET = "test-app-secret";
const VERIFY = "verify-me-please";
const PHONE_ID = "109876543210987";
const NOW = Date.UTC(2025, 10, 17, 12, 0, 0);
const HOUR = 3_600_000;
const fixture = (name: string) => readFileSync(new URL(`../fixtures/whatsapp-webhook-${name}.json`, import.meta.url), "utf8");

let fake: FakeWhatsApp;
let app: FastifyInstance;
let adapter: ChannelAdapter;
let ingested: InboundEvent[][];
let ingestImpl: (events: InboundEvent[]) => Promise<EnqueueOutcome[]>;

function config(extra: Partial<WhatsAppConfig> = {}): WhatsAppConfig {
  return {
    accessToken: fake.token,
    phoneNumberId: PHONE_ID,
    appSecret: SECRET,
    verifyToken: VERIFY,
    apiBase: fake.apiBase,
    ratePerSecond: 20,
    ...extra,
  };
}

beforeAll(async () => {
  fake = await startFakeWhatsApp();
  adapter = createWhatsAppAdapter(config(), { now: () => NOW });
  app = Fastify({ logger: false });
  // A JSON route outside the adapter: its raw-body parser must not leak here.
  app.post("/other", async (req) => ({ got: req.body }));
  await adapter.register(app, {
    ingest: (events) => ingestImpl(events),
    log: pino({ level: "silent" }),
  });
  await app.ready();
});

afterAll(async () => {
  await app.close();
  await adapter.stop?.();
  await fake.close();
});

beforeEach(() => {
  fake.reset();
  ingested = [];
  ingestImpl = async (events) => {
    ingested.push(events);
    return events.map(() => "queued" as const);
  };
});

function post(body: string, signature?: string, contentType = "application/json") {
  const headers: Record<string, string> = { "content-type": contentType };
  if (signature !== undefined) headers["x-hub-signature-256"] = signature;
  return app.inject({ method: "POST", url: "/webhooks/whatsapp", headers, payload: body });
}
const postSigned = (body: string) => post(body, signWhatsApp(body, SECRET));
const allEvents = () => ingested.flat();

describe("GET verification", () => {
  it("answers the challenge for the right token", async () => {
    const res = await app.inject({
      method: "GET",
      url: `/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=${VERIFY}&hub.challenge=1158201444`,
    });
    expect(res.statusCode).toBe(200);
    expect(res.body).toBe("1158201444");
    expect(res.headers["content-type"]).toMatch(/^text\/plain/);
  });
  it("refuses a wrong token or mode", async () => {
    for (const q of [
      "hub.mode=subscribe&hub.verify_token=nope&hub.challenge=1",
      `hub.mode=unsubscribe&hub.verify_token=${VERIFY}&hub.challenge=1`,
      "",
    ]) {
      const res = await app.inject({ method: "GET", url: `/webhooks/whatsapp?${q}` });
      expect(res.statusCode).toBe(403);
      expect(res.body).not.toContain("1158201444");
    }
  });
});

describe("POST webhook: fixtures", () => {
  it("text message", async () => {
    const res = await postSigned(fixture("text"));
    expect(res.statusCode).toBe(200);
    expect(allEvents()).toEqual([
      {
        type: "message",
        channel: "whatsapp",
        chatId: "79161234567",
        userId: "79161234567",
        dedupeKey: "wamid.HBgLNzkxNjEyMzQ1NjcVAgASGBQzQUFCQ0RFRjAxMjM0NTY3ODlBQgA=",
        platformMessageId: "wamid.HBgLNzkxNjEyMzQ1NjcVAgASGBQzQUFCQ0RFRjAxMjM0NTY3ODlBQgA=",
        at: 1763366400_000,
        phone: "79161234567",
        profileName: "Анна Смирнова",
        text: "Здравствуйте, есть протеиновые батончики?",
      },
    ]);
  });
  it("button reply", async () => {
    expect((await postSigned(fixture("button-reply"))).statusCode).toBe(200);
    const [ev] = allEvents() as InboundMessage[];
    expect(ev).toMatchObject({ type: "message", buttonId: "flavor_choco", text: "Шоколадный", phone: "79161234567" });
  });
  it("list reply", async () => {
    expect((await postSigned(fixture("list-reply"))).statusCode).toBe(200);
    const [ev] = allEvents() as InboundMessage[];
    expect(ev).toMatchObject({ type: "message", buttonId: "bar_whey_60g", text: "Батончик Whey 60 г" });
  });
  it("delivered status", async () => {
    expect((await postSigned(fixture("status"))).statusCode).toBe(200);
    expect(allEvents()).toEqual([
      {
        type: "status",
        channel: "whatsapp",
        chatId: "79161234567",
        userId: "79161234567",
        dedupeKey: "wamid.HBgLNzkxNjEyMzQ1NjcVAgARGBI4QjJGQTNDMTdFNDU5MDFDNUQA:delivered",
        platformMessageId: "wamid.HBgLNzkxNjEyMzQ1NjcVAgARGBI4QjJGQTNDMTdFNDU5MDFDNUQA",
        at: 1763366412_000,
        status: "delivered",
      },
    ]);
  });
  it("failed status carries the first error", async () => {
    expect((await postSigned(fixture("status-failed"))).statusCode).toBe(200);
    const [ev] = allEvents() as InboundStatus[];
    expect(ev).toMatchObject({ status: "failed", error: { code: 131047, title: "Re-engagement message" } });
  });
  it("accepts a Cyrillic body signed over the escaped form and over the raw bytes", async () => {
    const body = fixture("text");
    expect(body).toMatch(/[^\0-~]/);
    const escaped = await post(body, signWhatsApp(body, SECRET, { escaped: true }));
    expect(escaped.statusCode).toBe(200);
    const raw = await post(body, signWhatsApp(body, SECRET));
    expect(raw.statusCode).toBe(200);
    expect(ingested).toHaveLength(2);
  });
  it("escapes astral characters as surrogate pairs", async () => {
    const body = JSON.stringify(whatsappBatch([waText("79160000001", "спасибо 👍")]));
    expect((await post(body, signWhatsApp(body, SECRET, { escaped: true }))).statusCode).toBe(200);
    expect((allEvents()[0] as InboundMessage).text).toBe("спасибо 👍");
  });
  const TEXT_WAMID = "wamid.HBgLNzkxNjEyMzQ1NjcVAgASGBQzQUFCQ0RFRjAxMjM0NTY3ODlBQgA=";
  const readsOf = (id: string) => fake.readReceipts().filter((c) => c.body.message_id === id);
  it("marks inbound messages read in the background", async () => {
    await adapter.stop?.(); // let receipts from earlier tests land first
    fake.reset();
    await postSigned(fixture("text"));
    const reads = await fake.waitForReadReceipts(1);
    expect(reads[0]!.body).toEqual({ messaging_product: "whatsapp", status: "read", message_id: TEXT_WAMID });
    expect(reads[0]!.phoneNumberId).toBe(PHONE_ID);
    expect(fake.messages()).toHaveLength(0);
  });
  it("does not mark duplicates read and survives read-receipt failures", async () => {
    await adapter.stop?.();
    fake.reset();
    ingestImpl = async (events) => events.map(() => "duplicate" as const);
    await postSigned(fixture("text"));
    await adapter.stop?.();
    expect(readsOf(TEXT_WAMID)).toHaveLength(0);
    ingestImpl = async (events) => events.map(() => "queued" as const);
    fake.failNext(1, { status: 500, code: 1, message: "boom" });
    expect((await postSigned(fixture("text"))).statusCode).toBe(200);
    await adapter.stop?.();
    expect(readsOf(TEXT_WAMID)).toHaveLength(1); // attempted, failed, logged
    expect((await postSigned(fixture("text"))).statusCode).toBe(200);
    await adapter.stop?.();
    expect(readsOf(TEXT_WAMID)).toHaveLength(2);
  });
});

describe("POST webhook: rejections and batches", () => {
  it("wrong signature → 401, nothing ingested", async () => {
    const body = fixture("text");
    const res = await post(body, signWhatsApp(body, "other-secret"));
    expect(res.statusCode).toBe(401);
    expect(ingested).toHaveLength(0);
  });
  it("missing or malformed header → 401", async () => {
    const body = fixture("text");
    expect((await post(body)).statusCode).toBe(401);
    expect((await post(body, "sha256=zz")).statusCode).toBe(401);
    expect((await post(body, signWhatsApp(body, SECRET).replace("sha256=", ""))).statusCode).toBe(401);
    expect(ingested).toHaveLength(0);
  });
  it("a body changed after signing → 401", async () => {
    const body = fixture("text");
    const sig = signWhatsApp(body, SECRET);
    expect((await post(body.replace("79161234567", "79161234568"), sig)).statusCode).toBe(401);
  });
  it("malformed JSON, correctly signed → 400", async () => {
    const res = await postSigned('{"object":"whatsapp_business_account",');
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({ error: "body is not valid JSON" });
  });
  it("JSON that is not a WABA envelope → 400 naming the problem", async () => {
    const res = await postSigned(JSON.stringify({ object: "page", entry: [] }));
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatch(/object/);
  });
  it("over 3 MiB → 413", async () => {
    const body = JSON.stringify({ object: "whatsapp_business_account", entry: [], pad: "x".repeat(3 * 1024 * 1024) });
    const res = await postSigned(body);
    expect(res.statusCode).toBe(413);
    expect(ingested).toHaveLength(0);
  });
  it("a batch of 50 messages over 3 entries/changes → 50 events", async () => {
    const msgs = Array.from({ length: 50 }, (_, i) => waText(`7916000${String(i).padStart(4, "0")}`, `msg ${i}`, { name: `C${i}` }));
    const payload = whatsappBatch(msgs, [], { entries: 3, changesPerEntry: 2 });
    expect((payload.entry as unknown[]).length).toBe(3);
    const res = await postSigned(JSON.stringify(payload));
    expect(res.statusCode).toBe(200);
    expect(ingested).toHaveLength(1); // one ingest call for the whole batch
    const events = allEvents() as InboundMessage[];
    expect(events).toHaveLength(50);
    expect(new Set(events.map((e) => e.dedupeKey)).size).toBe(50);
    const e7 = events.find((e) => e.text === "msg 7")!;
    expect(e7.profileName).toBe("C7");
    expect(e7.chatId).toBe("79160000007");
    await fake.waitForReadReceipts(50);
  });
  it("messages and statuses in one batch, played status ignored", async () => {
    const payload = whatsappBatch(
      [waButtonReply("79160000001", "yes", "Да")],
      [waStatus("wamid.A", "sent", "79160000001"), waStatus("wamid.A", "played", "79160000001")],
    );
    await postSigned(JSON.stringify(payload));
    expect(allEvents().map((e) => e.type)).toEqual(["message", "status"]);
  });
  it("unknown field → 200 and no events", async () => {
    const body = JSON.stringify({
      object: "whatsapp_business_account",
      entry: [{ id: "1", changes: [{ field: "account_update", value: { event: "VERIFIED_ACCOUNT" } }] }],
    });
    const res = await postSigned(body);
    expect(res.statusCode).toBe(200);
    expect(ingested).toHaveLength(0);
  });
  it("ingest failure → 500 (Meta redelivers)", async () => {
    ingestImpl = async () => {
      throw new Error("store down");
    };
    await adapter.stop?.();
    fake.reset();
    expect((await postSigned(fixture("text"))).statusCode).toBe(500);
    await adapter.stop?.();
    expect(fake.readReceipts()).toHaveLength(0);
  });
  it("answers only after ingest resolved", async () => {
    // ingest fails only once the test opens the gate, after the route has called it: a
    // route that answered before ingest settled would have said 200 already
    let entered!: () => void;
    const inIngest = new Promise<void>((r) => (entered = r));
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    ingestImpl = async () => {
      entered();
      await gate;
      throw new Error("store down");
    };
    const pending = postSigned(fixture("text"));
    await inIngest;
    release();
    expect((await pending).statusCode).toBe(500);
    // and the same wait ends in 200 when ingest succeeds
    ingestImpl = async (events) => {
      await Promise.resolve();
      return events.map(() => "queued" as const);
    };
    expect((await postSigned(fixture("text"))).statusCode).toBe(200);
  });
  it("the raw-body parser does not leak to other routes", async () => {
    const res = await app.inject({ method: "POST", url: "/other", payload: { a: 1 } });
    expect(res.json()).toEqual({ got: { a: 1 } });
  });
});

describe("parseWhatsAppWebhook", () => {
  const one = (m: Record<string, unknown>) => parseWhatsAppWebhook(whatsappBatch([m])) as InboundMessage[];
  const base = { from: "79160000001", id: "wamid.X", timestamp: "1763366400" };

  it("location, contacts, media with caption, referral", () => {
    expect(one({ ...base, type: "location", location: { latitude: 55.75, longitude: 37.62, name: "Дом" } })[0]).toMatchObject({
      location: { lat: 55.75, lon: 37.62 },
      phone: "79160000001",
    });
    const c = one({
      ...base,
      type: "contacts",
      contacts: [{ name: { formatted_name: "Иван Петров" }, phones: [{ phone: "+7 916 111-22-33", wa_id: "79161112233" }] }],
    })[0]!;
    expect(c.text).toBe("Контакт: Иван Петров +7 916 111-22-33");
    expect(c.phone).toBe("79160000001");
    expect(
      one({ ...base, type: "document", document: { id: "MEDIA1", mime_type: "application/pdf", filename: "check.pdf", caption: "чек" } })[0],
    ).toMatchObject({ text: "чек", attachments: [{ kind: "document", fileId: "MEDIA1", mimeType: "application/pdf", name: "check.pdf" }] });
    expect(one({ ...base, type: "image", image: { id: "IMG", mime_type: "image/jpeg" } })[0]!.attachments).toEqual([
      { kind: "photo", fileId: "IMG", mimeType: "image/jpeg" },
    ]);
    const ad = one({
      ...base,
      type: "text",
      text: { body: "Хочу скидку" },
      referral: { source_id: "120208/ad 55", source_type: "ad", source_url: "https://fb.me/x", headline: "Скидка" },
    })[0]!;
    expect(ad.source).toBe("ad_120208_ad_55");
    expect(ad.source!.length).toBeLessThanOrEqual(64);
  });
  it("template quick reply", () => {
    expect(one({ ...base, type: "button", button: { payload: "STOP_PROMO", text: "Отписаться" } })[0]).toMatchObject({
      buttonId: "STOP_PROMO",
      text: "Отписаться",
    });
  });
  it("unknown types become an 'other' attachment; reactions are ignored", () => {
    expect(one({ ...base, type: "unsupported", errors: [{ code: 131051 }] })[0]).toMatchObject({
      attachments: [{ kind: "other" }],
      hints: { waType: "unsupported" },
    });
    expect(one({ ...base, type: "toString" })[0]!.attachments).toEqual([{ kind: "other" }]);
    expect(one({ ...base, type: "reaction", reaction: { message_id: "wamid.Y", emoji: "👍" } })).toEqual([]);
  });
  it("skips a malformed message but keeps the rest of the batch", () => {
    const events = parseWhatsAppWebhook(whatsappBatch([{ type: "text" }, waText("79160000002", "ok")]));
    expect(events).toHaveLength(1);
  });
  it("throws only WhatsAppPayloadError on arbitrary JSON", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        try {
          expect(Array.isArray(parseWhatsAppWebhook(v))).toBe(true);
        } catch (err) {
          expect(err).toBeInstanceOf(WhatsAppPayloadError);
        }
      }),
      { numRuns: 500 },
    );
  });
  it("returns events (or nothing) for arbitrary content inside a valid envelope", () => {
    const msg = fc.record(
      {
        from: fc.oneof(fc.string(), fc.constant("79160000001")),
        id: fc.string(),
        timestamp: fc.oneof(fc.string(), fc.nat(), fc.double()),
        type: fc.oneof(fc.constantFrom("text", "interactive", "image", "location", "contacts", "button", "constructor"), fc.string()),
        text: fc.anything(),
        interactive: fc.anything(),
        image: fc.anything(),
        location: fc.anything(),
        contacts: fc.anything(),
        referral: fc.anything(),
      },
      { requiredKeys: [] },
    );
    const value = fc.record({ contacts: fc.anything(), messages: fc.array(msg), statuses: fc.anything() }, { requiredKeys: [] });
    fc.assert(
      fc.property(fc.array(fc.record({ field: fc.constantFrom("messages", "x"), value })), (changes) => {
        const events = parseWhatsAppWebhook({ object: "whatsapp_business_account", entry: [{ changes }] });
        for (const e of events) {
          expect(e.channel).toBe("whatsapp");
          expect(typeof e.dedupeKey).toBe("string");
          expect(Number.isFinite(e.at)).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });
  it("the route never answers 5xx to arbitrary signed JSON", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.jsonValue(),
          fc.record({ object: fc.constant("whatsapp_business_account"), entry: fc.array(fc.record({ changes: fc.array(fc.record({ field: fc.constant("messages"), value: fc.jsonValue() })) })) }),
        ),
        async (v) => {
          const res = await postSigned(JSON.stringify(v) ?? "null");
          expect(res.statusCode).toBeLessThan(500);
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe("send()", () => {
  const to = "79161234567";
  let n = 0;
  function item(part: RenderedPart, lastInbound: number | null = NOW - HOUR): OutboxItem {
    n++;
    return {
      id: `out-${n}`,
      channel: "whatsapp",
      chatId: to,
      conversationKey: `whatsapp:${to}`,
      contactId: "c1",
      seq: n,
      part,
      customerLastInboundAt: lastInbound,
      createdAt: NOW,
      attempts: 0,
      notBefore: 0,
      status: "pending",
    };
  }

  it("exposes rate limits and capabilities", () => {
    expect(adapter.channel).toBe("whatsapp");
    expect(adapter.rate).toEqual({ perSecond: 20, perChatPerSecond: 1, perChatBurst: 10 });
    expect(adapter.capabilities.buttons?.max).toBe(3);
  });

  it("text", async () => {
    const res = await adapter.send(item({ text: "Привет! Чем помочь?", askPhone: { label: "Телефон" }, removeKeyboard: true }));
    expect(res.ok).toBe(true);
    const [call] = fake.messages();
    expect(res).toEqual({ ok: true, platformMessageIds: [expect.stringMatching(/^wamid\./)] });
    expect(call!.phoneNumberId).toBe(PHONE_ID);
    expect(call!.version).toMatch(/^v\d+\.\d+$/);
    expect(call!.body).toEqual({ messaging_product: "whatsapp", type: "text", to, text: { body: "Привет! Чем помочь?" } });
  });

  it("3 buttons → interactive reply buttons in Cloud API format", async () => {
    const res = await adapter.send(
      item({
        text: "Какой вкус?",
        buttons: [
          [
            { id: "flavor_choco", label: "Шоколадный" },
            { id: "flavor_van", label: "Ванильный" },
          ],
          [{ id: "flavor_straw", label: "Клубничный" }],
        ],
      }),
    );
    expect(res.ok).toBe(true);
    expect(fake.messages()[0]!.body).toEqual({
      messaging_product: "whatsapp",
      type: "interactive",
      to,
      interactive: {
        type: "button",
        body: { text: "Какой вкус?" },
        action: {
          buttons: [
            { type: "reply", reply: { id: "flavor_choco", title: "Шоколадный" } },
            { type: "reply", reply: { id: "flavor_van", title: "Ванильный" } },
            { type: "reply", reply: { id: "flavor_straw", title: "Клубничный" } },
          ],
        },
      },
    });
  });

  it("a button body over 1024 characters is a permanent (renderer) error, no call", async () => {
    const res = await adapter.send(item({ text: "я".repeat(1025), buttons: [[{ id: "a", label: "A" }]] }));
    expect(res).toMatchObject({ ok: false, error: { kind: "permanent" } });
    expect(fake.calls).toHaveLength(0);
  });

  it("list of 10 rows → interactive list", async () => {
    const rows = Array.from({ length: 10 }, (_, i) => ({ id: `row_${i}`, label: `Товар ${i}`, description: `Описание ${i}` }));
    const res = await adapter.send(item({ text: "Выберите батончик", list: { buttonLabel: "Каталог", rows } }));
    expect(res.ok).toBe(true);
    expect(fake.messages()[0]!.body).toEqual({
      messaging_product: "whatsapp",
      type: "interactive",
      to,
      interactive: {
        type: "list",
        body: { text: "Выберите батончик" },
        action: {
          button: "Каталог",
          sections: [{ rows: rows.map((r) => ({ id: r.id, title: r.label, description: r.description })) }],
        },
      },
    });
  });

  it("photo with caption", async () => {
    const res = await adapter.send(item({ text: "Новинка", photoUrl: "https://shop.example/p.jpg" }));
    expect(res.ok).toBe(true);
    expect(fake.messages()[0]!.body).toEqual({
      messaging_product: "whatsapp",
      type: "image",
      to,
      image: { link: "https://shop.example/p.jpg", caption: "Новинка" },
    });
  });

  it("window closed, no template → window_closed and no API call", async () => {
    for (const last of [null, NOW - 25 * HOUR]) {
      const res = await adapter.send(item({ text: "Как дела?" }, last));
      expect(res).toMatchObject({ ok: false, error: { kind: "window_closed" } });
    }
    expect(fake.calls).toHaveLength(0);
  });

  it("window closed with the part's own template → that template", async () => {
    const res = await adapter.send(
      item({ text: "x", template: { name: "order_ready", language: "ru", params: ["Анна", "A-17"] } }, NOW - 30 * HOUR),
    );
    expect(res.ok).toBe(true);
    expect(fake.messages()[0]!.body).toMatchObject({
      type: "template",
      template: {
        name: "order_ready",
        language: { code: "ru", policy: "deterministic" },
        components: [{ type: "body", parameters: [{ type: "text", text: "Анна" }, { type: "text", text: "A-17" }] }],
      },
    });
  });

  describe("with config.template", () => {
    let tplAdapter: ChannelAdapter;
    beforeAll(() => {
      tplAdapter = createWhatsAppAdapter(config({ template: { name: "service_followup", language: "ru" } }), { now: () => NOW });
    });
    it("window closed → the configured template with the text as its parameter", async () => {
      const res = await tplAdapter.send(item({ text: "Ваш заказ\nготов", buttons: [[{ id: "a", label: "A" }]] }, NOW - 48 * HOUR));
      expect(res.ok).toBe(true);
      expect(fake.messages()).toHaveLength(1);
      expect(fake.messages()[0]!.body).toEqual({
        messaging_product: "whatsapp",
        type: "template",
        to,
        template: {
          name: "service_followup",
          language: { code: "ru", policy: "deterministic" },
          components: [{ type: "body", parameters: [{ type: "text", text: "Ваш заказ готов" }] }],
        },
      });
    });
    it("131047 from the API → resend as template in the same call", async () => {
      fake.failNext(1, { status: 400, code: 131047, message: "Re-engagement message" });
      const res = await tplAdapter.send(item({ text: "Привет" }));
      expect(res.ok).toBe(true);
      expect(fake.messages().map((c) => c.body.type)).toEqual(["text", "template"]);
    });
  });

  it("HTTP 429 and code 130429 → rate_limited", async () => {
    fake.failNext(1, { status: 429, code: 4, message: "Application request limit reached" });
    const a = await adapter.send(item({ text: "1" }));
    expect(a).toMatchObject({ ok: false, error: { kind: "rate_limited" } });
    fake.failNext(1, { status: 400, code: 130429, message: "Rate limit hit" });
    const b = await adapter.send(item({ text: "2" }));
    expect(b).toMatchObject({ ok: false, error: { kind: "rate_limited", retryAfterMs: 1000 } });
    fake.failNext(1, { status: 400, code: 131056, message: "Pair rate limit hit" });
    const c = await adapter.send(item({ text: "3" }));
    expect(c).toMatchObject({ ok: false, error: { kind: "rate_limited", retryAfterMs: 6000 } });
  });

  it("500 → transient; network failure → transient", async () => {
    fake.failNext(1, { status: 500, code: 1, message: "An unknown error occurred" });
    expect(await adapter.send(item({ text: "x" }))).toMatchObject({ ok: false, error: { kind: "transient" } });
    const dead = createWhatsAppAdapter(config({ apiBase: "http://127.0.0.1:1" }), { now: () => NOW });
    expect(await dead.send(item({ text: "x" }))).toMatchObject({ ok: false, error: { kind: "transient" } });
  });

  it("131047 without a template → window_closed", async () => {
    fake.failNext(1, { status: 400, code: 131047, message: "Re-engagement message" });
    expect(await adapter.send(item({ text: "x" }))).toMatchObject({ ok: false, error: { kind: "window_closed" } });
  });

  it("131026 → unreachable; other 4xx → permanent; bad token → permanent", async () => {
    fake.failNext(1, { status: 400, code: 131026, message: "Message undeliverable" });
    expect(await adapter.send(item({ text: "x" }))).toMatchObject({ ok: false, error: { kind: "unreachable" } });
    fake.failNext(1, { status: 400, code: 100, message: "Invalid parameter" });
    expect(await adapter.send(item({ text: "x" }))).toMatchObject({ ok: false, error: { kind: "permanent" } });
    const wrongToken = createWhatsAppAdapter(config({ accessToken: "nope" }), { now: () => NOW });
    expect(await wrongToken.send(item({ text: "x" }))).toMatchObject({ ok: false, error: { kind: "permanent" } });
  });
});
