import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listSlaBreaches, slaBreachOf } from "../src/staff/sla.ts";
import type { FakeTelegramCall } from "./fakes/telegram-api.ts";
import { HOUR, signWhatsApp, startHarness, TG_SECRET, WA_SECRET, waText, whatsappBatch, type Harness } from "./support/harness.ts";
import { contactByIdentity } from "./support/store.ts";

/**
 * The Telegram staff group on the fake Bot API: a forum supergroup where every customer
 * handed to a person gets a topic, their words are mirrored into it, a staff member's
 * message there reaches the customer's own channel, /bot hands back and /close resolves.
 */
const STAFF_CHAT = "-1001987654321";
const OTHER_GROUP = "-1001111111111";
const MINUTE = 60_000;
/** Moscow is UTC+3 all year */
const msk = (y: number, m: number, d: number, h: number, min = 0) => Date.UTC(y, m - 1, d, h - 3, min);

let h: Harness;
let updateId = 50_000;

/** what the group got, in order: text (or caption) and the topic it went to */
function groupPosts(): { text: string; threadId: number | undefined; call: FakeTelegramCall }[] {
  return h.telegram.calls
    .filter((c) => /^send(Message|Photo|Document)$/.test(c.method) && String(c.params.chat_id) === STAFF_CHAT && c.status === 200)
    .map((c) => ({
      text: String(c.params.text ?? c.params.caption ?? ""),
      threadId: c.params.message_thread_id === undefined ? undefined : Number(c.params.message_thread_id),
      call: c,
    }));
}
const inTopic = (threadId: number) => groupPosts().filter((p) => p.threadId === threadId).map((p) => p.text).join("\n");
const inGeneral = () => groupPosts().filter((p) => p.threadId === undefined).map((p) => p.text).join("\n");

/** a staff member writes in the group (webhook update, as Telegram delivers it) */
async function staffWrites(text: string, threadId: number | undefined, chat = STAFF_CHAT): Promise<number> {
  const id = ++updateId;
  const update = {
    update_id: id,
    message: {
      message_id: id,
      date: Math.floor(Date.now() / 1000),
      from: { id: 4242, is_bot: false, first_name: "Ольга", last_name: "Смирнова" },
      chat: { id: Number(chat), type: "supergroup", title: "ФитПерекус — команда", is_forum: true },
      ...(threadId !== undefined ? { message_thread_id: threadId, is_topic_message: true } : {}),
      text,
      ...(text.startsWith("/") ? { entities: [{ type: "bot_command", offset: 0, length: text.split(" ")[0]!.length }] } : {}),
    },
  };
  const res = await h.app.http.inject({
    method: "POST",
    url: "/webhooks/telegram",
    payload: JSON.stringify(update),
    headers: { "content-type": "application/json", "x-telegram-bot-api-secret-token": TG_SECRET },
  });
  await h.app.idle();
  return res.statusCode;
}

/** a WhatsApp customer with a profile name writes */
async function waSays(user: string, text: string, name = "Людмила") {
  const before = h.drivers.whatsapp.replies(user).length;
  const body = JSON.stringify(whatsappBatch([waText(user, text, { id: `wamid.sg${++updateId}`, at: h.clock.now(), name })]));
  const res = await h.app.http.inject({
    method: "POST",
    url: "/webhooks/whatsapp",
    payload: body,
    headers: { "content-type": "application/json", "x-hub-signature-256": signWhatsApp(body, WA_SECRET) },
  });
  expect(res.statusCode).toBe(200);
  await h.app.idle();
  return h.drivers.whatsapp.replies(user).slice(before);
}

const groupIdle = async () => {
  await h.app.idle();
  await h.app.staffSide.group!.idle();
};

beforeAll(async () => {
  h = await startHarness({ env: { TELEGRAM_STAFF_CHAT_ID: STAFF_CHAT, TELEGRAM_STAFF_RATE_PER_MINUTE: "1200" } });
  h.clock.t = msk(2026, 11, 2, 12, 0); // Monday noon: open
});
afterAll(async () => {
  if (process.env.SHOW_GROUP) for (const p of groupPosts()) console.log(`[${p.threadId ?? "general"}] ${p.text}\n`);
  await h.close();
});

describe("Telegram staff group", () => {
  it("a WhatsApp customer hands off → one topic, words mirrored, a staff message reaches WhatsApp, /bot hands back and the flow answers", async () => {
    const user = "79161230001";
    await waSays(user, "Привет");
    const handoff = await waSays(user, "оператор");
    expect(handoff.map((r) => r.text).join("\n")).toContain("Обычно человек отвечает в течение 5 мин.");

    await expect.poll(() => h.telegram.topics(STAFF_CHAT).length).toBe(1);
    const [topic] = h.telegram.topics(STAFF_CHAT);
    expect(topic!.name).toBe("Людмила · WhatsApp · покупатель");
    await expect.poll(inGeneral).toContain("🔔 Нужен человек: Людмила · WhatsApp · покупатель");
    expect(inGeneral()).toContain(`https://t.me/c/1987654321/${topic!.threadId}`);
    await expect.poll(() => inTopic(topic!.threadId)).toContain("Пишите здесь — ответ уйдёт клиенту в WhatsApp.");
    expect(inTopic(topic!.threadId)).toContain("👤 оператор"); // what led here

    await waSays(user, "Нужна коробка ягодных на пятницу, <b>срочно</b>");
    await expect.poll(() => inTopic(topic!.threadId)).toContain("👤 Нужна коробка ягодных на пятницу, <b>срочно</b>");
    const sent = groupPosts().find((p) => p.text.includes("срочно"))!;
    expect(sent.call.params.parse_mode).toBeUndefined(); // shown as typed

    expect(await staffWrites("Людмила, здравствуйте! Соберём к пятнице.", topic!.threadId)).toBe(200);
    await expect.poll(() => h.drivers.whatsapp.replies(user).map((r) => r.text)).toContain("Людмила, здравствуйте! Соберём к пятнице.");
    const conv = (await h.store.getConversation(`whatsapp:${user}`))!;
    expect(conv.handoff?.assignee).toBe("Ольга Смирнова · Telegram");
    // the staff member's own words are not mirrored back into the topic
    expect(inTopic(topic!.threadId)).not.toContain("Соберём к пятнице");

    // the bot stays silent while staff have the chat
    expect(await waSays(user, "Спасибо!")).toEqual([]);
    await expect.poll(() => inTopic(topic!.threadId)).toContain("👤 Спасибо!");

    await staffWrites("/bot", topic!.threadId);
    await expect.poll(() => h.drivers.whatsapp.replies(user).map((r) => r.text).join("\n")).toContain("Я снова на связи");
    expect((await h.store.getConversation(`whatsapp:${user}`))!.handoff).toBeNull();
    await expect.poll(() => inTopic(topic!.threadId)).toContain("↩️ Ольга Смирнова вернул(а) чат боту.");
    const menu = await waSays(user, "меню");
    expect(menu.at(-1)!.choices.length).toBeGreaterThan(0); // the flow answers again
    await groupIdle();
    expect(inTopic(topic!.threadId)).not.toContain("👤 меню"); // not mirrored once the bot has the chat

    // back again later: the same topic, no second one
    await waSays(user, "человек");
    await expect.poll(() => inTopic(topic!.threadId).split("Пишите здесь").length).toBe(3);
    expect(h.telegram.callsOf("createForumTopic")).toHaveLength(1);

    // /close resolves and closes the topic
    await staffWrites("/close", topic!.threadId);
    await expect.poll(() => h.telegram.topics(STAFF_CHAT)[0]!.closed).toBe(true);
    expect(inTopic(topic!.threadId)).toContain("✅ Ольга Смирнова: вопрос решён, тема закрыта.");
    const tps = await h.store.listTouchpoints(conv.contactId, 500);
    expect(tps.some((t) => t.kind === "handoff" && (t.data as { resolved?: boolean } | undefined)?.resolved === true)).toBe(true);
  });

  it("messages from another group, and the general topic's chatter, are ignored", async () => {
    const user = "79161230002";
    await waSays(user, "оператор", "Пётр");
    await expect.poll(() => h.telegram.topics(STAFF_CHAT).find((t) => t.name.startsWith("Пётр"))).toBeDefined();
    const topic = h.telegram.topics(STAFF_CHAT).find((t) => t.name.startsWith("Пётр"))!;
    const before = h.drivers.whatsapp.replies(user).length;
    // same thread id, but another group: not ours
    expect(await staffWrites("Я из чужой группы", topic.threadId, OTHER_GROUP)).toBe(200);
    expect(await staffWrites("Коллеги, кто возьмёт?", undefined)).toBe(200);
    await groupIdle();
    expect(h.drivers.whatsapp.replies(user).slice(before)).toEqual([]);
    const c = (await contactByIdentity(h.store, "whatsapp", user))!;
    const tps = await h.store.listTouchpoints(c.id, 500);
    expect(tps.map((t) => t.summary).join("\n")).not.toMatch(/чужой группы|кто возьмёт/);
    // and the other group's message was never treated as a customer (no reply to that chat)
    expect(h.telegram.calls.filter((x) => String(x.params.chat_id) === OTHER_GROUP)).toEqual([]);

    // taken and answered in the web inbox (staff API here): the topic shows who and what
    await h.staff("POST", `/api/conversations/whatsapp:${user}/take`, { by: "Игорь" });
    await h.staff("POST", `/api/conversations/whatsapp:${user}/reply`, { by: "Игорь", text: "Пётр, добрый день!" });
    await expect.poll(() => inTopic(topic.threadId)).toContain("👋 Игорь взял(а) чат.");
    await expect.poll(() => inTopic(topic.threadId)).toContain("💬 Игорь: Пётр, добрый день!");
  });

  it("a deleted topic is recreated when the customer writes again", async () => {
    const user = "79161230003";
    await waSays(user, "оператор", "Анна");
    await expect.poll(() => h.telegram.topics(STAFF_CHAT).find((t) => t.name.startsWith("Анна"))).toBeDefined();
    const old = h.telegram.topics(STAFF_CHAT).find((t) => t.name.startsWith("Анна"))!;
    await groupIdle();
    h.telegram.deleteTopic(STAFF_CHAT, old.threadId);

    await waSays(user, "Вы тут?", "Анна");
    await expect.poll(() => h.telegram.topics(STAFF_CHAT).filter((t) => t.name === old.name && !t.deleted).length).toBe(1);
    const fresh = h.telegram.topics(STAFF_CHAT).find((t) => t.name === old.name && !t.deleted)!;
    expect(fresh.threadId).not.toBe(old.threadId);
    await expect.poll(() => inTopic(fresh.threadId)).toContain("👤 Вы тут?");
    // Telegram refused the old topic with its documented error
    expect(h.telegram.calls.some((c) => c.status === 400 && Number(c.params.message_thread_id) === old.threadId)).toBe(true);
    // and a staff message in the new topic reaches the customer
    await staffWrites("Да, Анна, слушаю вас.", fresh.threadId);
    await expect.poll(() => h.drivers.whatsapp.replies(user).map((r) => r.text)).toContain("Да, Анна, слушаю вас.");
  });

  it("a CSAT of 2 from the web chat alerts the group's general topic", async () => {
    const u = "web-sg-csat-0001";
    await h.say("web", u, "/start");
    await h.tap("web", u, "Каталог");
    await h.tap("web", u, "Протеиновые батончики");
    await h.tap("web", u, "Ягодный");
    await h.tap("web", u, "6 шт");
    await h.tap("web", u, "Оформить заказ");
    await h.tap("web", u, "Самовывоз");
    await h.say("web", u, "+7 999 000-33-44");
    await h.tap("web", u, "Заказать");
    const c = (await contactByIdentity(h.store, "web", await h.platformUser("web", u)))!;
    const [order] = await h.store.listOrders({ contactId: c.id });
    await h.staff("POST", `/api/orders/${order!.id}/status`, { status: "delivered" });
    await h.later(2 * HOUR + 1000);
    await h.tap("web", u, "2");
    await expect.poll(inGeneral).toMatch(/⚠️ Низкая оценка 2 из 5: Клиент без имени · веб-чат · покупатель/);
    // the web customer got a topic of their own too (from any channel)
    await expect.poll(() => h.telegram.topics(STAFF_CHAT).some((t) => t.name.includes("веб-чат"))).toBe(true);
  });

  it("an SLA breach: no first answer within 5 working minutes alerts the group and marks the chat", async () => {
    const user = "79161230005";
    await waSays(user, "оператор", "Вера");
    const conv = (await h.store.getConversation(`whatsapp:${user}`))!;
    expect(await slaBreachOf(h.store, conv.key, conv.handoff!.since)).toBeNull();
    h.clock.advance(6 * MINUTE);
    await expect.poll(inGeneral, { timeout: 10_000 }).toContain("⏰ Нет ответа уже 5 мин рабочего времени: Вера · WhatsApp · покупатель");
    const mark = await slaBreachOf(h.store, conv.key, conv.handoff!.since);
    expect(mark).toMatchObject({ conversationKey: conv.key, minutes: 5, queue: "sales" });
    expect((await listSlaBreaches(h.store)).map((b) => b.conversationKey)).toContain(conv.key);
    // alerted once, however often the watch runs
    await h.app.staffSide.sla.check();
    await groupIdle();
    expect(inGeneral().split("Вера · WhatsApp").length - 1).toBe(2); // the handoff alert and the breach
  });

  it("out of hours the SLA clock stops: a Sunday-night handoff is not late at 8:00, but is at 9:06", async () => {
    h.clock.t = msk(2026, 11, 8, 23, 0); // Sunday night
    const user = "79161230006";
    const told = await waSays(user, "оператор", "Ночной");
    expect(told.map((r) => r.text).join("\n")).toContain("когда откроемся: завтра в 9:00 (по московскому времени)");
    const conv = (await h.store.getConversation(`whatsapp:${user}`))!;
    h.clock.t = msk(2026, 11, 9, 8, 0);
    await h.app.staffSide.sla.check();
    expect(await slaBreachOf(h.store, conv.key, conv.handoff!.since)).toBeNull();
    h.clock.t = msk(2026, 11, 9, 9, 6);
    await expect.poll(() => slaBreachOf(h.store, conv.key, conv.handoff!.since), { timeout: 10_000 }).not.toBeNull();
    await expect.poll(inGeneral).toContain("⏰ Нет ответа уже 5 мин рабочего времени: Ночной · WhatsApp · покупатель");
  });

  it("a Telegram customer's photo is mirrored as a photo with its caption", async () => {
    h.clock.t = msk(2026, 11, 10, 12, 0);
    const user = "5012399";
    await h.say("telegram", user, "/start");
    await h.say("telegram", user, "оператор");
    await expect.poll(() => h.telegram.topics(STAFF_CHAT).find((t) => t.name.startsWith("Аристарх · Telegram"))).toBeDefined();
    const topic = h.telegram.topics(STAFF_CHAT).find((t) => t.name.startsWith("Аристарх · Telegram"))!;
    const update = {
      update_id: ++updateId,
      message: {
        message_id: updateId,
        date: Math.floor(h.clock.now() / 1000),
        from: { id: Number(user), is_bot: false, first_name: "Аристарх" },
        chat: { id: Number(user), type: "private" },
        photo: [
          { file_id: "small-file", file_unique_id: "s", width: 90, height: 90 },
          { file_id: "big-file", file_unique_id: "b", width: 1280, height: 960 },
        ],
        caption: "Вот такая упаковка пришла мятой",
      },
    };
    const res = await h.app.http.inject({
      method: "POST",
      url: "/webhooks/telegram",
      payload: JSON.stringify(update),
      headers: { "content-type": "application/json", "x-telegram-bot-api-secret-token": TG_SECRET },
    });
    expect(res.statusCode).toBe(200);
    await expect.poll(() => h.telegram.callsOf("sendPhoto").find((c) => String(c.params.chat_id) === STAFF_CHAT)?.params).toMatchObject({
      photo: "big-file",
      message_thread_id: topic.threadId,
      caption: "👤 Вот такая упаковка пришла мятой",
    });
  });

  it("when Telegram will not make a topic (not a forum, no admin right), the alert still comes, saying what to fix", async () => {
    h.clock.t = msk(2026, 11, 10, 13, 0);
    h.telegram.failNext(1, { status: 400, method: "createForumTopic", description: "Bad Request: the chat is not a forum" });
    await waSays("79161230009", "оператор", "Зоя");
    await expect.poll(inGeneral).toContain("🔔 Нужен человек: Зоя · WhatsApp · покупатель");
    expect(inGeneral()).toContain("включите в группе темы");
  });
});
