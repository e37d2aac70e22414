import { describe, it, type ExpectStatic } from "vitest";
import type { Channel } from "../src/model/channel.ts";
import type { OutboxItem } from "../src/model/outbound.ts";
import { maxText } from "./fakes/max-api.ts";
import { vkEvent, vkMessageNew } from "./fakes/vk-api.ts";
import { signWhatsApp, waStatus, waText, whatsappBatch, type WaObject } from "./fakes/whatsapp-api.ts";
import { armWhatsAppFailures, Customer, deliver, failedWhatsAppCalls, type PlatformReply } from "./support/customer.ts";
import { DAY, HOUR, MAX_SECRET, startHarness, TG_SECRET, WA_SECRET, WA_VERIFY, type Harness } from "./support/harness.ts";
import { waitUntil } from "./support/load.ts";
import { contactByIdentity } from "./support/store.ts";

/**
 * When a platform's API fails or a webhook is not what it should be: replies are
 * delayed, never lost, never doubled, never out of order; a customer who blocked the
 * bot is marked unreachable until they write again; WhatsApp statuses and its 24-hour
 * window are honoured; forged or broken webhooks are refused; staff can step in.
 * Every test has its own app and fake platforms, so they run side by side.
 */

async function until<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs: number): Promise<T> {
  let found: T | undefined;
  const check = async () => {
    const v = await probe();
    if (v === undefined || v === false) return false;
    found = v;
    return true;
  };
  await waitUntil(check, timeoutMs, () => `waited ${timeoutMs} ms for ${what}`, 50);
  return found!;
}

const outbox = (h: Harness, key: string): Promise<OutboxItem[]> => h.store.listOutbox({ conversationKey: key, limit: 500 });

async function post(h: Harness, url: string, payload: string | Buffer, headers: Record<string, string> = {}) {
  const res = await h.app.http.inject({ method: "POST", url, payload, headers: { "content-type": "application/json", ...headers } });
  return { status: res.statusCode, body: res.body };
}

const postWhatsApp = (h: Harness, body: unknown) => {
  const raw = JSON.stringify(body);
  return post(h, "/webhooks/whatsapp", raw, { "x-hub-signature-256": signWhatsApp(raw, WA_SECRET) });
};

/** Three questions in the customer's own words, sent one after another without waiting. */
const QUESTIONS = ["цены?", "а доставка?", "где вы находитесь?"];

interface FailureCase {
  channel: Exclude<Channel, "web">;
  user: string;
  /** queue the platform's failures: 3 "slow down", then 2 server errors */
  arm(h: Harness): void;
}

const FAILURES: FailureCase[] = [
  {
    channel: "telegram",
    user: "5012340101",
    arm(h) {
      h.telegram.failNext(3, { status: 429, retryAfter: 1, method: "sendMessage", description: "Too Many Requests: retry after 1" });
      h.telegram.failNext(2, { status: 500, method: "sendMessage" });
    },
  },
  {
    channel: "vk",
    user: "305010101",
    arm(h) {
      h.vk.failNext(3, { code: 6, msg: "Too many requests per second", method: "messages.send" });
      h.vk.failNext(2, { status: 500, method: "messages.send" });
    },
  },
  {
    channel: "whatsapp",
    user: "79160101010",
    arm(h) {
      // the fake fails read receipts too (one per question): three extra so the replies get at least three
      armWhatsAppFailures(h, 6, { status: 429, code: 130429, message: "(#130429) Rate limit hit" });
      armWhatsAppFailures(h, 2, { status: 500, code: 1, message: "An unknown error occurred" });
    },
  },
];

describe.concurrent("delivery when the platform fails", () => {
  it.for(FAILURES)(
    "$channel: rate limits, then server errors — every reply arrives later, once, in order",
    async ({ channel, user, arm }, { expect }) => {
      const h = await startHarness();
      try {
        const c = new Customer(h, channel, user);
        await c.do({ start: null });
        await c.type("меню");
        const key = c.key;
        const before = (await outbox(h, key)).length;

        arm(h);
        for (const q of QUESTIONS) {
          const status = await deliver(h, await c.deliveryFor({ type: q }));
          expect(status).toBeLessThan(300);
        }
        // the three answers are due at once; the platform refuses the first attempts
        const items = await until(
          "every reply to be sent",
          async () => {
            const all = await outbox(h, key);
            return all.length >= before + QUESTIONS.length && all.every((i) => i.status === "sent") && all;
          },
          15_000,
        );

        const bySeq = [...items].sort((a, b) => a.seq - b.seq);
        const atPlatform: PlatformReply[] = await c.all();
        // none lost, none doubled, in the order the bot said them
        expect(atPlatform.map((r) => r.text)).toEqual(bySeq.map((i) => i.part.text));
        expect(atPlatform.slice(before).map((r) => r.text).join("\n")).toMatch(/139–159 ₽[\s\S]*МКАД[\s\S]*Лесная/);
        // the failures really hit the replies, and were retried
        const retried = items.filter((i) => i.attempts > 0);
        expect(retried.length).toBeGreaterThan(0);
        if (channel === "telegram") {
          const statuses = h.telegram.calls.filter((x) => x.method === "sendMessage").map((x) => x.status);
          expect(statuses.filter((s) => s === 429)).toHaveLength(3);
          expect(statuses.filter((s) => s === 500)).toHaveLength(2);
        }
        if (channel === "vk") {
          // every retry of one reply carried the same random_id, so VK could never post it twice
          const sends = h.vk.calls.filter((x) => x.method === "messages.send");
          const byText = new Map<string, Set<string>>();
          for (const s of sends) byText.set(s.params.message ?? "", (byText.get(s.params.message ?? "") ?? new Set()).add(s.params.random_id ?? ""));
          expect([...byText.values()].every((ids) => ids.size === 1)).toBe(true);
          expect(sends.length).toBe(h.vk.delivered().length + 5);
        }
        if (channel === "whatsapp") {
          // read receipts take up to three of the failures; the replies get the rest
          const onReplies = failedWhatsAppCalls(h).filter((f) => f.call.body.status !== "read");
          expect(onReplies.filter((f) => f.failure.code === 130429).length).toBeGreaterThanOrEqual(3);
          expect(onReplies.filter((f) => f.failure.status === 500)).toHaveLength(2);
        }
      } finally {
        await h.close();
      }
    },
  );

  it("a reply rate-limited many times is not given up on at the first server error", async ({ expect }) => {
    const h = await startHarness();
    try {
      const c = new Customer(h, "telegram", "5012340102");
      await c.do({ start: null });
      h.telegram.failNext(9, { status: 429, retryAfter: 1, method: "sendMessage" });
      h.telegram.failNext(1, { status: 500, method: "sendMessage" });
      await deliver(h, await c.deliveryFor({ type: "меню" }));
      // nine "slow down" answers are not nine failures of the message
      const [item] = await until(
        "the menu to leave the outbox",
        async () => {
          const items = (await outbox(h, c.key)).filter((i) => i.seq === 1 && i.status !== "pending");
          return items.length > 0 && items;
        },
        20_000,
      );
      expect(item!.status, item!.lastError).toBe("sent");
      expect((await c.catchUp()).at(-1)!.text).toMatch(/Чем помочь/);
    } finally {
      await h.close();
    }
  });

  it("telegram 403 (bot blocked): the reply is dead with a reason, the customer unreachable until they write again", async ({ expect }) => {
    const h = await startHarness();
    try {
      const c = new Customer(h, "telegram", "5012340103");
      await c.do({ start: null });
      h.telegram.failNext(1, { status: 403, method: "sendMessage", description: "Forbidden: bot was blocked by the user" });
      expect(await c.type("меню")).toEqual([]);

      const { json } = await h.staff("GET", "/api/outbox?status=dead");
      const dead = (json.items as OutboxItem[]).filter((i) => i.conversationKey === c.key);
      expect(dead).toHaveLength(1);
      expect(dead[0]!.lastError).toMatch(/403.*blocked/);
      expect(dead[0]!.part.text).toMatch(/Чем помочь/);
      const contact = (await contactByIdentity(h.store, "telegram", c.user))!;
      expect(contact.identities).toEqual([{ channel: "telegram", userId: c.user, reachable: false }]);

      // nothing else is disturbed
      expect((await h.app.http.inject({ method: "GET", url: "/readyz" })).statusCode).toBe(200);
      const other = new Customer(h, "telegram", "5012340104");
      expect((await other.do({ start: null })).map((r) => r.text)).toEqual([expect.stringMatching(/Здравствуйте/)]);

      // they unblock and write: reachable again, and answered
      const back = await c.type("меню");
      expect(back.at(-1)!.choices.map((x) => x.label)).toContain("Каталог");
      expect((await contactByIdentity(h.store, "telegram", c.user))!.identities[0]!.reachable).toBe(true);
    } finally {
      await h.close();
    }
  });

  it("whatsapp statuses: delivered/read are recorded on the reply and in the journey; failed 131047 holds it for staff", async ({ expect }) => {
    const h = await startHarness();
    try {
      const c = new Customer(h, "whatsapp", "79160101020");
      await c.do({ start: null });
      const [welcome] = await outbox(h, c.key);
      const wamid = welcome!.platformMessageIds![0]!;
      expect(wamid).toMatch(/^wamid\./);

      const at = h.clock.now();
      expect((await postWhatsApp(h, whatsappBatch([], [waStatus(wamid, "sent", c.user, { at })]))).status).toBe(200);
      expect((await postWhatsApp(h, whatsappBatch([], [waStatus(wamid, "delivered", c.user, { at })]))).status).toBe(200);
      // Meta redelivers: the same status twice is one touchpoint
      expect((await postWhatsApp(h, whatsappBatch([], [waStatus(wamid, "delivered", c.user, { at })]))).status).toBe(200);
      await h.app.idle();
      let view = await h.staff("GET", `/api/conversations/${c.key}`);
      expect((view.json.outbox as OutboxItem[])[0]).toMatchObject({ id: welcome!.id, status: "sent", deliveryStatus: "delivered" });

      expect((await postWhatsApp(h, whatsappBatch([], [waStatus(wamid, "read", c.user, { at })]))).status).toBe(200);
      await h.app.idle();
      view = await h.staff("GET", `/api/conversations/${c.key}`);
      expect((view.json.outbox as OutboxItem[])[0]!.deliveryStatus).toBe("read");

      const contact = (await contactByIdentity(h.store, "whatsapp", c.user))!;
      const statuses = (await h.store.listTouchpoints(contact.id, 1000)).filter((t) => t.kind === "delivery_status");
      expect(statuses.map((t) => [t.summary, t.data?.outboxId])).toEqual([
        ["sent", welcome!.id],
        ["delivered", welcome!.id],
        ["read", welcome!.id],
      ]);

      // a status for a message we never sent is acknowledged and ignored
      expect((await postWhatsApp(h, whatsappBatch([], [waStatus("wamid.NOT_OURS", "read", c.user)]))).status).toBe(200);

      // the next reply fails on Meta's side: out of the window after all
      await c.type("меню");
      const menu = (await outbox(h, c.key)).at(-1)!;
      const failed = waStatus(menu.platformMessageIds![0]!, "failed", c.user, { at, error: { code: 131047, title: "Re-engagement message" } });
      expect((await postWhatsApp(h, whatsappBatch([], [failed]))).status).toBe(200);
      await h.app.idle();
      const { json } = await h.staff("GET", "/api/outbox?status=held");
      const held = (json.items as OutboxItem[]).filter((i) => i.conversationKey === c.key);
      expect(held.map((i) => i.id)).toEqual([menu.id]);
      expect(held[0]!.lastError).toMatch(/131047/);
      expect(held[0]!.deliveryStatus).toBe("failed");
    } finally {
      await h.close();
    }
  });

  /** WhatsApp customer orders, gets it, is asked for feedback 2 h later, then nothing for 12 days. */
  async function orderThenSilence(h: Harness, user: string, expect: ExpectStatic) {
    const c = new Customer(h, "whatsapp", user);
    await c.do({ start: null });
    for (const label of ["Каталог", "Протеиновые батончики", "Шоколадный брауни", "12 шт"]) await c.tap(label);
    await c.tap("Оформить заказ");
    await c.tap("Самовывоз");
    await c.type(`+${user}`);
    await c.tap("Заказать");
    const contact = (await contactByIdentity(h.store, "whatsapp", user))!;
    const [order] = await h.store.listOrders({ contactId: contact.id });

    await h.staff("POST", `/api/orders/${order!.id}/status`, { status: "delivered" });
    expect((await c.catchUp()).map((r) => r.text)).toEqual([expect.stringMatching(/доставлен/)]);
    // two hours after the customer's last message: well inside the window
    await h.later(2 * HOUR);
    const [csat] = await c.catchUp();
    expect(csat!.text).toMatch(/Как прошла моя работа/);
    expect(csat!.shape).toBe("wa_list");

    // twelve days later the repeat reminder is due: the window closed long ago
    const callsBefore = h.whatsapp.calls.length;
    await h.later(12 * DAY);
    const reminder = (await outbox(h, c.key)).at(-1)!;
    expect(reminder.part.text).toMatch(/Повторить заказ\?/);
    return { c, reminder, callsBefore };
  }

  it("whatsapp 24-hour window: feedback 2 h after delivery goes out; a reminder 12 days later is held for staff without a template", async ({ expect }) => {
    const h = await startHarness();
    try {
      const { c, reminder, callsBefore } = await orderThenSilence(h, "79160101030", expect);
      expect(h.whatsapp.calls.slice(callsBefore)).toEqual([]); // not even tried
      expect(reminder.status).toBe("held");
      const { json } = await h.staff("GET", "/api/outbox?status=held");
      const held = (json.items as OutboxItem[]).filter((i) => i.conversationKey === c.key);
      expect(held.map((i) => i.id)).toEqual([reminder.id]);
      expect(held[0]!.lastError).toMatch(/24-hour window/);
    } finally {
      await h.close();
    }
  });

  it("whatsapp 24-hour window: with WHATSAPP_TEMPLATE_NAME the late reminder goes out as that template", async ({ expect }) => {
    const h = await startHarness({ env: { WHATSAPP_TEMPLATE_NAME: "order_reminder" } });
    try {
      const { c, reminder, callsBefore } = await orderThenSilence(h, "79160101031", expect);
      expect(reminder.status).toBe("sent");
      const late = h.whatsapp.calls.slice(callsBefore).map((x) => x.body as Record<string, any>);
      expect(late).toHaveLength(1);
      expect(late[0]).toMatchObject({ to: c.user, type: "template", template: { name: "order_reminder", language: { code: "ru" } } });
      const [body] = late[0]!.template.components as { type: string; parameters: { type: string; text: string }[] }[];
      expect(body!.type).toBe("body");
      expect(body!.parameters[0]!.text).toMatch(/Кажется, батончики скоро закончатся/);
      expect(body!.parameters[0]!.text).not.toMatch(/\n/);
      expect((await h.staff("GET", "/api/outbox?status=held")).json.items).toEqual([]);
    } finally {
      await h.close();
    }
  });
});

describe.concurrent("webhooks that are not what they should be", () => {
  it("forged, broken, oversized and unknown webhooks: refused or ignored, nothing processed", async ({ expect }) => {
    const h = await startHarness();
    try {
      const tgUpdate = (id: number, extra: Record<string, unknown>) => JSON.stringify({ update_id: id, ...extra });
      const tgText = (id: number, text: string) =>
        tgUpdate(id, {
          message: { message_id: id, date: 1_790_000_000, chat: { id: 5012340201, type: "private" }, from: { id: 5012340201, is_bot: false, first_name: "X" }, text },
        });
      const waBody = JSON.stringify(whatsappBatch([waText("79160102010", "привет")]));
      const vkBody = (secret: string | null, groupId?: number) =>
        JSON.stringify(vkEvent("message_new", vkMessageNew({ peerId: 305020101, text: "привет" }), { secret, ...(groupId ? { groupId } : {}) }));

      const tg = (payload: string | Buffer, secret: string | null = TG_SECRET) =>
        post(h, "/webhooks/telegram", payload, secret === null ? {} : { "x-telegram-bot-api-secret-token": secret });

      // forged
      expect((await tg(tgText(1, "привет"), "wrong_secret")).status).toBe(401);
      expect((await tg(tgText(2, "привет"), null)).status).toBe(401);
      expect((await post(h, "/webhooks/whatsapp", waBody, { "x-hub-signature-256": signWhatsApp(waBody, "not-the-app-secret") })).status).toBe(401);
      expect((await post(h, "/webhooks/whatsapp", waBody)).status).toBe(401);
      expect((await post(h, "/webhooks/vk", vkBody("wrong secret"))).status).toBe(403);
      expect((await post(h, "/webhooks/vk", vkBody(null))).status).toBe(403);
      const maxBody = JSON.stringify(maxText({ userId: 41020101, text: "привет" }));
      const maxPost = (payload: string, secret: string | null = MAX_SECRET) => post(h, "/webhooks/max", payload, secret === null ? {} : { "x-max-bot-api-secret": secret });
      expect((await maxPost(maxBody, "wrong_secret")).status).toBe(401);
      expect((await maxPost(maxBody, `${MAX_SECRET}x`)).status).toBe(401);
      expect((await maxPost(maxBody, null)).status).toBe(401);

      // malformed JSON (with valid credentials)
      const broken = '{"update_id": 5, "message": {';
      expect((await tg(broken)).status).toBe(400);
      expect((await post(h, "/webhooks/whatsapp", broken, { "x-hub-signature-256": signWhatsApp(broken, WA_SECRET) })).status).toBe(400);
      expect((await post(h, "/webhooks/vk", broken)).status).toBe(400);
      expect((await post(h, "/webchat/api/messages", broken)).status).toBe(400);
      expect((await maxPost(broken)).status).toBe(400);
      expect((await maxPost(JSON.stringify({ hello: "world" }))).status).toBe(400);

      // oversized: Telegram and VK take 1 MiB, WhatsApp 3 MiB (W7), the web chat 64 KiB
      const big = (bytes: number) => JSON.stringify({ update_id: 6, padding: "x".repeat(bytes) });
      expect((await tg(big(1024 * 1024 + 10))).status).toBe(413);
      const waBig = big(3 * 1024 * 1024 + 10);
      expect((await post(h, "/webhooks/whatsapp", waBig, { "x-hub-signature-256": signWhatsApp(waBig, WA_SECRET) })).status).toBe(413);
      expect((await post(h, "/webhooks/vk", big(1024 * 1024 + 10))).status).toBe(413);
      expect((await maxPost(big(1024 * 1024 + 10))).status).toBe(413);
      expect((await post(h, "/webchat/api/messages", JSON.stringify({ session: "web-big-session", text: "x".repeat(70 * 1024) }))).status).toBe(413);

      // updates of kinds we do not handle: acknowledged, so the platform does not retry them forever
      expect((await tg(tgUpdate(7, { poll: { id: "1", question: "?", options: [], total_voter_count: 0, is_closed: false, is_anonymous: true, type: "regular", allows_multiple_answers: false } }))).status).toBe(200);
      expect((await tg(tgUpdate(8, { channel_post: { message_id: 1, date: 1, chat: { id: -100123, type: "channel" }, text: "news" } }))).status).toBe(200);
      const waOther: WaObject = { object: "whatsapp_business_account", entry: [{ id: "1", changes: [{ field: "account_update", value: { phone_number: "74951234567", event: "VERIFIED_ACCOUNT" } }] }] };
      expect((await postWhatsApp(h, waOther)).status).toBe(200);
      const reaction = { from: "79160102011", id: "wamid.REACTION1", timestamp: "1790000000", type: "reaction", reaction: { message_id: "wamid.X", emoji: "👍" } };
      expect((await postWhatsApp(h, whatsappBatch([reaction]))).status).toBe(200);
      const vkOther = await post(h, "/webhooks/vk", JSON.stringify(vkEvent("wall_post_new", { id: 1, owner_id: -1, text: "пост" })));
      expect(vkOther).toEqual({ status: 200, body: "ok" });
      expect((await maxPost(JSON.stringify({ update_type: "message_edited", timestamp: 1, message: {} }))).status).toBe(200);
      expect((await maxPost(JSON.stringify({ update_type: "dialog_muted", timestamp: 1, chat_id: -1, user: { user_id: 1 }, muted_until: 2 }))).status).toBe(200);

      // the platforms' handshakes still work
      const confirm = await post(h, "/webhooks/vk", JSON.stringify(vkEvent("confirmation", undefined, { secret: null })));
      expect(confirm.status).toBe(200);
      expect(confirm.body).not.toBe("ok");
      const verify = (token: string) =>
        h.app.http.inject({ method: "GET", url: `/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=${token}&hub.challenge=1158201444` });
      expect((await verify(WA_VERIFY)).body).toBe("1158201444");
      expect((await verify("guess")).statusCode).toBeGreaterThanOrEqual(400);

      // and nothing of it reached the bot
      await h.app.idle();
      expect(await h.store.pendingInbound()).toBe(0);
      expect(await h.store.listContacts({ limit: 10 })).toEqual([]);
      expect(h.telegram.callsOf("sendMessage")).toEqual([]);
      expect(h.whatsapp.calls).toEqual([]);
      expect(h.vk.delivered()).toEqual([]);
      expect(h.max.sent()).toEqual([]);
    } finally {
      await h.close();
    }
  });

  it("a batch of 50 WhatsApp messages from 50 customers in one POST: 50 customers answered", async ({ expect }) => {
    const h = await startHarness();
    try {
      const users = Array.from({ length: 50 }, (_, i) => String(79_160_200_000 + i));
      const body = whatsappBatch(
        users.map((u, i) => waText(u, "Здравствуйте", { at: h.clock.now(), name: `Покупатель ${i}` })),
        [],
        { entries: 5, changesPerEntry: 2 },
      );
      expect((await postWhatsApp(h, body)).status).toBe(200);
      await h.app.idle(20_000);
      const answered = new Set(h.whatsapp.messages().map((m) => String(m.body.to)));
      expect([...answered].sort()).toEqual(users);
      for (const u of users) {
        const replies = h.whatsapp.messages().filter((m) => m.body.to === u);
        expect(replies, u).toHaveLength(1);
      }
      expect(await h.store.listContacts({ limit: 100 })).toHaveLength(50);
      await h.whatsapp.waitForReadReceipts(50);
    } finally {
      await h.close();
    }
  });
});

describe.concurrent("a person steps in", () => {
  const STAFF_CASES: { channel: Exclude<Channel, "web">; user: string }[] = [
    { channel: "telegram", user: "5012340301" },
    { channel: "whatsapp", user: "79160103010" },
    { channel: "vk", user: "305030101" },
    { channel: "max", user: "41030101" },
  ];
  it.for(STAFF_CASES)("$channel: «оператор» → the inbox → staff answers on the channel → handback → the bot again", async ({ channel, user }, { expect }) => {
    const h = await startHarness();
    try {
      const c = new Customer(h, channel, user);
      await c.do({ start: null });
      const [person] = await c.type("оператор");
      expect(person!.text).toMatch(/Зову человека/);

      const inbox = await h.staff("GET", "/api/inbox");
      expect(inbox.status).toBe(200);
      const chats = inbox.json.conversations as { key: string; handoff: { queue: string } | null; contact: { id: string } }[];
      expect(chats.map((x) => x.key)).toEqual([c.key]);
      expect(chats[0]!.handoff?.queue).toBe("sales");

      // while a person has the chat, the bot acknowledges once (in working hours), then stays quiet
      expect((await c.type("подскажите, что взять после тренировки?")).map((r) => r.text)).toEqual(["Ваше сообщение у нас — человек ответит здесь же, как только освободится."]);
      expect(await c.type("и ещё: что с доставкой в офис?")).toEqual([]);

      const reply = await h.staff("POST", `/api/conversations/${c.key}/reply`, { text: "Здравствуйте! Это Марина. Советую коктейль с ванилью.", by: "Марина" });
      expect(reply.status).toBe(202);
      expect((await c.catchUp()).map((r) => r.text)).toEqual(["Здравствуйте! Это Марина. Советую коктейль с ванилью."]);

      const back = await h.staff("POST", `/api/conversations/${c.key}/handback`, { by: "Марина" });
      expect(back.status).toBe(202);
      const resumed = await c.catchUp();
      expect(resumed[0]!.text).toMatch(/снова на связи/);
      expect((await h.staff("GET", "/api/inbox")).json.conversations).toEqual([]);

      const answer = await c.type("а доставка сколько стоит?");
      expect(answer.map((r) => r.text).join("\n")).toMatch(/290\u00a0₽/);

      const contact = (await contactByIdentity(h.store, channel, user))!;
      const tps = await h.store.listTouchpoints(contact.id, 1000);
      expect(tps.filter((t) => t.kind === "handoff").map((t) => t.summary)).toEqual([expect.stringMatching(/sales/), expect.stringMatching(/handed back/)]);
      expect(tps.some((t) => t.kind === "message_out" && t.data?.by === "Марина")).toBe(true);
      expect(contact.stagesReached.engagement).toBeDefined();
    } finally {
      await h.close();
    }
  });
});
