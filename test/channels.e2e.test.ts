import { afterAll, beforeAll, describe, it, type ExpectStatic } from "vitest";
import type { Channel } from "../src/model/channel.ts";
import { Customer, deliver, formatProblems, whatsappShapeFor, type Action, type PlatformReply, type Shape } from "./support/customer.ts";
import { HOUR, startHarness, type Harness } from "./support/harness.ts";
import { contactByIdentity } from "./support/store.ts";

/**
 * The same order conversation on every channel, from the first message to a placed
 * order: webhook in, in the platform's own format; replies read back from the fake
 * platform, in the platform's own format; the customer answers the way that
 * platform's app lets them (inline button, list row, keyboard payload, typed digit).
 * The rows run concurrently, each with its own app and fakes: Telegram and VK pace
 * one chat at about 1 message/s, so a conversation takes a few seconds there.
 */

const PHONE = "79161234567";

interface Row {
  channel: Channel;
  /** the customer's id on the platform (WhatsApp: the number itself) */
  user: (n: number) => string;
  /** how choices with buttons look on this channel */
  shapeFor: (n: number) => Shape;
  /** what a customer on this channel does at the phone question */
  phone: (question: PlatformReply[]) => Action;
}

const ROWS: Row[] = [
  {
    channel: "telegram",
    user: (n) => String(5_012_345_600 + n),
    shapeFor: (n) => (n === 0 ? "text" : "tg_inline"),
    // the reply keyboard's "share my number" button sends a contact
    phone: () => ({ sharePhone: `+${PHONE}` }),
  },
  {
    channel: "whatsapp",
    user: (n) => (n === 0 ? PHONE : String(79_160_000_100 + n)),
    shapeFor: whatsappShapeFor,
    // the number is known already; the customer types it when asked (or taps it if offered)
    phone: (q) => {
      const offered = q.flatMap((r) => r.choices).find((c) => c.label.replace(/\D/g, "").endsWith(PHONE.slice(1)));
      return offered ? { tap: offered.label } : { type: "+7 916 123-45-67" };
    },
  },
  {
    channel: "vk",
    user: (n) => String(305_123_400 + n),
    shapeFor: (n) => (n === 0 ? "text" : "vk_keyboard"),
    phone: () => ({ type: "+7 916 123-45-67" }),
  },
  {
    channel: "max",
    user: (n) => String(41_000_100 + n),
    shapeFor: (n) => (n === 0 ? "text" : "max_inline"),
    // MAX's request_contact button sends the customer's own vCard
    phone: () => ({ sharePhone: `+${PHONE}` }),
  },
  {
    channel: "web",
    user: (n) => `web-customer-${n}-session`,
    shapeFor: (n) => (n === 0 ? "text" : "web_buttons"),
    phone: () => ({ type: "8 (916) 123-45-67" }),
  },
];

/** popular products one tap from the hello; the audience question behind «Я не за покупкой» */
const WELCOME = ["Шоколадный брауни", "Арахис и карамель", "Шоколадный коктейль", "Каталог", "Я не за покупкой"];
/** the same, for a customer who ordered before: their last order one tap away */
const WELCOME_BACK = ["Шоколадный брауни", "Арахис и карамель", "Шоколадный коктейль", "🔁 Повторить заказ", "Каталог", "Я не за покупкой"];
const CARD = ["🛒 1 шт.", "🛒 6 шт.", "🛒 12 шт.", "Другое количество", "Назад", "Позвать человека"];
const MENU = ["Каталог", "Повторить заказ", "Цены", "Доставка", "Адрес и часы работы", "Наличие", "Бонусы и друзья", "Позвать человека"];
const CATEGORIES = ["Протеиновые батончики", "Протеиновые коктейли", "Наборы для офиса", "Корзина", "Меню"];
const BARS = ["Шоколадный брауни", "Ванильный чизкейк", "Арахис и карамель", "Кокос в шоколаде", "Ягодный микс", "Назад", "Меню"];
const ADDRESS = "Пресненская наб., 10, офис 1204";

/** One step of the script: what the customer does, what the last reply must say and offer. */
interface Step {
  name: string;
  act: Action | "phone";
  text?: RegExp;
  /** labels of the one-tap choices on the last reply (in order) */
  choices?: string[];
  /** the reply asks for the phone (Telegram and the web chat show a share-my-number button) */
  asksPhone?: true;
}

/** The button path of a first order: five taps from /start, plus the address and the phone. */
const SCRIPT: Step[] = [
  { name: "/start", act: { start: null }, text: /Здравствуйте/, choices: WELCOME },
  { name: "«Шоколадный брауни»", act: { tap: "Шоколадный брауни" }, text: /149\u00a0₽/, choices: CARD },
  { name: "«12 шт.»", act: { tap: "12 шт" }, text: /Доставка курьером — 290\u00a0₽/, choices: ["Оформить заказ", "Взять набор дешевле", "Добавить ещё", "Очистить корзину"] },
  { name: "«Оформить заказ»", act: { tap: "Оформить заказ" }, choices: ["Курьер в офис", "Курьер домой", "Самовывоз"] },
  { name: "«Курьер в офис»", act: { tap: "Курьер в офис" }, text: /адрес/i, choices: [] },
  { name: "address", act: { type: ADDRESS }, text: /Телефон/, choices: [], asksPhone: true },
  { name: "phone", act: "phone", text: /Итого: 2\u00a0078\u00a0₽/, choices: ["✅ Заказать", "💳 Оплатить онлайн", "Изменить", "Позвать человека"] },
  { name: "confirm", act: { tap: "Заказать" }, text: /Заказ №\S+ принят[\s\S]*Итого: 2\u00a0078\u00a0₽/, choices: [] },
];
const taps = (script: Step[]) => script.filter((s) => typeof s.act === "object" && "tap" in s.act).length;

/** A repeat order: two taps from /start, delivery, address and phone remembered. */
const REPEAT: Step[] = [
  { name: "/start again", act: { start: null }, text: /Здравствуйте/, choices: WELCOME_BACK },
  { name: "«Повторить заказ»", act: { tap: "Повторить заказ" }, text: /Шоколадный брауни × 12[\s\S]*Итого: 2\u00a0078\u00a0₽/, choices: ["Повторить", "Изменить", "Не сейчас"] },
  { name: "«Повторить»", act: { tap: /^Повторить$/ }, text: /Заказ №\S+ принят/, choices: [] },
];

describe.concurrent.each(ROWS)("$channel", (row) => {
  let h: Harness;
  /** the customer of the order test and their order, for the feedback test */
  let ordered: Promise<{ c: Customer; orderId: string }>;
  let settle: { resolve: (v: { c: Customer; orderId: string }) => void; reject: (e: unknown) => void };
  beforeAll(async () => {
    h = await startHarness();
    ordered = new Promise((resolve, reject) => (settle = { resolve, reject }));
    ordered.catch(() => undefined);
  });
  afterAll(async () => h?.close());

  it("a customer orders from /start to «Заказ №… принят», in the platform's own format", async ({ expect }) => {
    try {
      settle.resolve(await orderConversation(expect));
    } catch (err) {
      settle.reject(err);
      throw err;
    }
  });

  async function play(c: Customer, script: Step[], expect: ExpectStatic, phone?: Action): Promise<void> {
    let previous: PlatformReply[] = [];
    for (const step of script) {
      const action = step.act === "phone" ? (phone ?? row.phone(previous)) : step.act;
      const replies = await c.do(action);
      const where = `${row.channel} after ${step.name}`;
      expect(replies.length, `${where}: no reply`).toBeGreaterThan(0);
      // every reply within the platform's limits, shown the way the platform shows choices
      expect(replies.flatMap(formatProblems), where).toEqual([]);
      const lastReply = replies.at(-1)!;
      if (step.text) expect(replies.map((r) => r.text).join("\n"), where).toMatch(step.text);
      if (step.choices) {
        // WhatsApp knows the customer's number: the phone question offers it as one tap
        const choices = step.asksPhone && row.channel === "whatsapp" ? [`+${c.user}`] : step.choices;
        expect(lastReply.choices.map((x) => x.label), where).toEqual(choices);
        if (!step.asksPhone) expect(lastReply.shape, where).toBe(row.shapeFor(step.choices.length));
      }
      previous = replies;
    }
  }

  async function orderConversation(expect: ExpectStatic): Promise<{ c: Customer; orderId: string }> {
    const c = new Customer(h, row.channel, row.user(0));
    expect(taps(SCRIPT)).toBeLessThanOrEqual(5);
    await play(c, SCRIPT, expect);

    // the cart and the confirmation carry the numbers the customer chose
    const all = await c.all();
    const texts = all.map((r) => r.text).join("\n");
    expect(texts).toContain("Шоколадный брауни × 12 — 1\u00a0788\u00a0₽");
    expect(texts).toContain(ADDRESS);
    expect(texts).toContain("+79161234567");

    // platform specifics
    if (row.channel === "telegram") {
      const phoneQuestion = all.find((r) => /Телефон/.test(r.text))!;
      expect(phoneQuestion.shape).toBe("tg_share_phone");
      // every pressed inline button was answered, so the client stops its spinner
      const pressed = c.sent.flatMap((d) => {
        const q = (JSON.parse(d.body) as { callback_query?: { id: string } }).callback_query;
        return q ? [q.id] : [];
      });
      expect(pressed).toHaveLength(SCRIPT.filter((s) => typeof s.act === "object" && "tap" in s.act).length);
      const answered = new Set(h.telegram.callsOf("answerCallbackQuery").map((a) => a.params.callback_query_id));
      expect(pressed.filter((id) => !answered.has(id))).toEqual([]);
      // the product card is one photo message with its buttons
      const card = all.find((r) => r.text.includes("149\u00a0₽"))!;
      expect(card.raw.photo).toMatch(/^https:\/\/.+bar_choco/);
      expect(card.shape).toBe("tg_inline");
    }
    if (row.channel === "whatsapp") {
      // catalogue lists were answered by row id (list_reply), and every message was marked read
      expect(all.filter((r) => r.shape === "wa_list").length).toBeGreaterThanOrEqual(4);
      const wamids = c.sent.map((d) => (JSON.parse(d.body) as { entry: { changes: { value: { messages: { id: string }[] } }[] }[] }).entry[0]!.changes[0]!.value.messages[0]!.id);
      const unread = () => wamids.filter((id) => !h.whatsapp.readReceipts().some((r) => r.body.message_id === id));
      await expect.poll(unread, { timeout: 5_000 }).toEqual([]);
    }
    if (row.channel === "vk") {
      // VK dedupes by random_id: each reply had its own
      const ids = h.vk.delivered().filter((d) => d.peerId === c.user).map((d) => d.randomId);
      expect(new Set(ids).size).toBe(ids.length);
    }
    if (row.channel === "web") {
      expect(all.find((r) => /Телефон/.test(r.text))!.raw.askPhone).toBeTruthy();
    }
    if (row.channel === "max") {
      expect(all.find((r) => /Телефон/.test(r.text))!.shape).toBe("max_share_phone");
      // every pressed button was answered (POST /answers), so the client stops waiting
      const pressed = c.sent.flatMap((d) => {
        const cb = (JSON.parse(d.body) as { callback?: { callback_id: string } }).callback;
        return cb ? [cb.callback_id] : [];
      });
      expect(pressed).toHaveLength(SCRIPT.filter((s) => typeof s.act === "object" && "tap" in s.act).length);
      await expect.poll(() => pressed.filter((id) => !h.max.answered().includes(id))).toEqual([]);
      // the product card is one message: the photo as an image attachment, with its buttons
      const card = all.find((r) => r.text.includes("149\u00a0₽"))!;
      expect(card.photoUrl).toMatch(/^https:\/\/.+bar_choco/);
      expect(card.shape).toBe("max_inline");
    }

    // what the shop sees: the order, the journey, the touchpoints
    const contact = (await contactByIdentity(h.store, row.channel, await h.platformUser(row.channel, c.user)))!;
    expect(contact).not.toBeNull();
    const { status, json } = await h.staff("GET", `/api/contacts/${contact.id}`);
    expect(status).toBe(200);
    expect(json.orders).toHaveLength(1);
    expect(json.orders[0]).toMatchObject({
      channel: row.channel,
      status: "placed",
      delivery: "courier_office",
      address: ADDRESS,
      phone: PHONE,
      lines: [{ productId: "bar_choco", qty: 12 }],
    });
    expect(json.contact.phone).toBe(PHONE);
    expect(Object.keys(json.contact.stagesReached)).toEqual(
      expect.arrayContaining(["awareness", "interest", "desire", "research", "comparison", "action"]),
    );
    const kinds = new Set((json.touchpoints as { kind: string; channel: string }[]).map((t) => t.kind));
    for (const kind of ["message_in", "button", "message_out", "stage", "order"]) expect(kinds, `${row.channel}: ${kind}`).toContain(kind);
    expect((json.touchpoints as { channel: string }[]).every((t) => t.channel === row.channel)).toBe(true);
    return { c, orderId: String(json.orders[0].id) };
  }

  it("after delivery the feedback questions come in the platform's format too (NPS 0–10: more than 10 choices)", async ({ expect }) => {
    const { c, orderId } = await ordered;
    expect((await h.staff("POST", `/api/orders/${orderId}/status`, { status: "delivered" })).status).toBe(202);
    expect((await c.catchUp()).map((r) => r.text).join("\n")).toMatch(/Заказ №\S+: доставлен/);

    await h.later(2 * HOUR);
    const [csat] = await c.catchUp();
    expect(csat!.text).toMatch(/Как прошла моя работа/);
    expect(csat!.choices.map((x) => x.label)).toEqual(["1", "2", "3", "4", "5"]);
    expect(csat!.shape).toBe(row.shapeFor(5));

    const [nps] = await c.tap(/^5$/);
    expect(nps!.text).toMatch(/порекомендуете/);
    expect(nps!.choices.map((x) => x.label)).toEqual(["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10"]);
    // VK: 11 buttons do not fit an inline keyboard (V12: 10) but do fit a standard one (V11: 40)
    expect.soft(nps!.shape, `${row.channel}: NPS 0–10 in one tap`).toBe(row.shapeFor(11));
    expect(formatProblems(nps!)).toEqual([]);

    const [open] = await c.tap(/^9$/); // WhatsApp: typed, the scale is numbered text
    expect(open!.text).toMatch(/Что нам сделать/);
    const thanks = await c.type("Всё пришло вовремя, спасибо");
    expect(thanks.at(-1)!.text).toMatch(/Спасибо, что помогаете/);

    const contact = (await contactByIdentity(h.store, row.channel, await h.platformUser(row.channel, c.user)))!;
    const feedback = (await h.store.listTouchpoints(contact.id, 1000)).filter((t) => t.kind === "feedback").map((t) => t.summary);
    expect(feedback).toEqual(["CSAT 5", "NPS 9", expect.stringMatching(/^OPEN/)]);
    expect(contact.stagesReached.satisfaction).toBeDefined();
  });

  it("a repeat order takes two taps from /start: the last order is one tap from the welcome, delivery remembered", async ({ expect }) => {
    // a customer of their own (the feedback test has the first one's chat)
    const c = new Customer(h, row.channel, row.user(3));
    // a number of their own: one number on two chats would merge the two contacts
    await play(c, SCRIPT, expect, { type: "+7 916 555-00-03" });
    expect(taps(REPEAT)).toBeLessThanOrEqual(2);
    await play(c, REPEAT, expect);
    const contact = (await c.contact())!;
    const orders = await h.store.listOrders({ contactId: contact.id });
    expect(orders).toHaveLength(2);
    expect(orders[0]).toMatchObject({ delivery: "courier_office", address: ADDRESS, phone: "79165550003", total: 207_800 });
  });

  it("the same webhook delivered twice is answered once", async ({ expect }) => {
    const c = new Customer(h, row.channel, row.user(1));
    const start = await c.deliveryFor({ start: null });
    const first = await deliver(h, start);
    const second = await deliver(h, start);
    expect(first).toBeLessThan(300);
    expect(second).toBeLessThan(300);
    await h.app.idle();
    const welcome = await c.catchUp();
    expect(welcome).toHaveLength(1);
    expect(welcome[0]!.text).toMatch(/Здравствуйте/);

    // a button press redelivered (the platform did not get our 2xx in time)
    const press = await c.deliveryFor({ tap: "Каталог" });
    expect(await deliver(h, press)).toBeLessThan(300);
    expect(await deliver(h, press)).toBeLessThan(300);
    await h.app.idle();
    const menu = await c.catchUp();
    expect(menu).toHaveLength(1);
    expect(menu[0]!.choices.map((x) => x.label)).toEqual(CATEGORIES);

    const contact = (await contactByIdentity(h.store, row.channel, await h.platformUser(row.channel, c.user)))!;
    const tps = await h.store.listTouchpoints(contact.id, 1000);
    expect(tps.filter((t) => t.kind === "button")).toHaveLength(1);
    expect(tps.filter((t) => t.kind === "message_out")).toHaveLength(2);
  });

  it("/start with a source (src_gym_flyer; VK: ref; MAX: bot_started payload) records where the customer came from", async ({ expect }) => {
    const c = new Customer(h, row.channel, row.user(2));
    const [welcome] = await c.do({ start: "src_gym_flyer" });
    expect(welcome!.text).toMatch(/Здравствуйте/);
    expect(welcome!.choices.map((x) => x.label)).toEqual(WELCOME);
    const contact = (await contactByIdentity(h.store, row.channel, await h.platformUser(row.channel, c.user)))!;
    expect(contact.source).toBe("gym_flyer");
    // (the clock may have moved on: the feedback test of this row runs alongside)
    expect(contact.stagesReached.awareness).toBeTypeOf("number");
    const tps = await h.store.listTouchpoints(contact.id, 100);
    expect(tps.find((t) => t.kind === "stage" && t.stage === "awareness")?.summary).toContain("src_gym_flyer");
  });
});

describe("whatsapp: the phone question", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => h?.close());

  it("a different number typed there is the one the order keeps", async ({ expect }) => {
    const c = new Customer(h, "whatsapp", "79167770011");
    await c.do({ start: null });
    for (const label of ["Каталог", "Протеиновые батончики", "Шоколадный брауни", "12 шт"]) await c.tap(label);
    await c.tap("Оформить заказ");
    await c.tap("Самовывоз");
    // the order is for the office manager's number, not the one this WhatsApp belongs to
    const [confirm] = await c.type("8 903 555-12-34");
    expect(confirm!.text).toContain("+79035551234");
    await c.tap("Заказать");
    const contact = (await contactByIdentity(h.store, "whatsapp", c.user))!;
    const [order] = await h.store.listOrders({ contactId: contact.id });
    expect(order?.phone).toBe("79035551234");
  });
});
