import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HOUR, startHarness, type Harness } from "./support/harness.ts";
import { contactByIdentity } from "./support/store.ts";

/**
 * A customer on the built-in web chat, from hello to a placed order and feedback:
 * the replies they see, and what the journey log, stages and order store say.
 */
describe("web chat: hello → order → feedback", () => {
  let h: Harness;
  const user = "web-aristarkh-0001";
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => h?.close());

  const contact = async () => (await contactByIdentity(h.store, "web", await h.platformUser("web", user)))!;

  it("greets, records the source, and routes a customer to the shop menu", async () => {
    const [hello] = await h.say("web", user, { text: "/start", source: "src_gym_flyer" });
    expect(hello!.text).toContain("Здравствуйте");
    // popular products one tap away; the audience question only behind «Я не за покупкой»
    expect(hello!.choices.map((c) => c.label)).toEqual(["Шоколадный брауни", "Арахис и карамель", "Шоколадный коктейль", "Каталог", "Я не за покупкой"]);
    const c = await contact();
    expect(c.source).toBe("gym_flyer");
    expect(c.stagesReached.awareness).toBe(h.clock.now());

    const [audience] = await h.tap("web", user, "Я не за покупкой");
    expect(audience!.choices.map((c) => c.label)).toEqual(["Хочу купить", "Стать партнёром", "Я поставщик", "Ищу работу", "Инвестору", "Пресса"]);
    const [menu] = await h.tap("web", user, "Хочу купить");
    expect(menu!.choices.map((x) => x.label)).toContain("Каталог");
    expect(menu!.choices.map((x) => x.label)).toContain("Позвать человека");
  });

  it("answers a question in the customer's own words with one-tap choices", async () => {
    const replies = await h.say("web", user, "А доставка в офис есть?");
    expect(replies.at(-1)!.text).toMatch(/Курьер|доставк/i);
    expect(replies.at(-1)!.choices.length).toBeGreaterThan(0);
  });

  it("catalogue → product → cart → checkout → order", async () => {
    await h.say("web", user, "меню");
    const [cats] = await h.tap("web", user, "Каталог");
    expect(cats!.choices.map((x) => x.label)).toContain("Протеиновые батончики");
    const [bars] = await h.tap("web", user, "Протеиновые батончики");
    expect(bars!.choices.map((x) => x.label)).toContain("Шоколадный брауни");
    const [card] = await h.tap("web", user, "Шоколадный брауни");
    expect(card!.text).toContain("149\u00a0₽");
    expect(card!.text).toMatch(/белок 20\u00a0г/);
    expect(card!.photoUrl).toMatch(/^https:\/\//);

    expect(card!.choices.map((x) => x.label)).toEqual(["🛒 1 шт.", "🛒 6 шт.", "🛒 12 шт.", "Другое количество", "Назад", "Позвать человека"]);
    const [qty] = await h.tap("web", user, "Другое количество");
    expect(qty!.choices.map((x) => x.label)).toEqual(["2", "3", "24"]);
    // a wrong answer is explained and the question repeated
    const [retry] = await h.say("web", user, "много");
    expect(retry!.text).toMatch(/числ|цифр/i);
    const cart = await h.say("web", user, "12");
    expect(cart.map((r) => r.text).join("\n")).toContain("Шоколадный брауни × 12 — 1\u00a0788\u00a0₽");

    const [delivery] = await h.tap("web", user, "Оформить заказ");
    expect(delivery!.choices.map((x) => x.label)).toEqual(["Курьер в офис", "Курьер домой", "Самовывоз"]);
    const [address] = await h.tap("web", user, "Курьер в офис");
    expect(address!.text).toContain("адрес");
    const [phone] = await h.say("web", user, "Пресненская наб., 10, офис 1204");
    expect(phone!.askPhone).toBe(true);
    const [confirm] = await h.say("web", user, { phone: "8 (916) 123-45-67" });
    expect(confirm!.text).toContain("Пресненская наб., 10, офис 1204");
    expect(confirm!.text).toContain("+79161234567");
    const placed = await h.tap("web", user, "Заказать");
    expect(placed.map((r) => r.text).join("\n")).toMatch(/Заказ №\S+ принят/);

    const c = await contact();
    const [order] = await h.store.listOrders({ contactId: c.id });
    expect(order).toMatchObject({
      status: "placed",
      channel: "web",
      delivery: "courier_office",
      address: "Пресненская наб., 10, офис 1204",
      phone: "79161234567",
      // 12 × 149 ₽ + 290 ₽ delivery (below the 2 500 ₽ threshold)
      total: 207_800,
      totals: { goods: 178_800, promo: 0, points: 0, delivery: 29_000, total: 207_800, earned: 89 },
      lines: [{ productId: "bar_choco", qty: 12, price: 14_900 }],
    });
    expect(c.phone).toBe("79161234567");
    expect(c.orderCount).toBe(1);
    for (const stage of ["awareness", "interest", "desire", "research", "comparison", "action"] as const) {
      expect(c.stagesReached[stage], stage).toBeDefined();
    }
    const tps = await h.store.listTouchpoints(c.id, 1000);
    const kinds = new Set(tps.map((t) => t.kind));
    for (const k of ["message_in", "button", "message_out", "stage", "order"]) expect(kinds.has(k as never), k).toBe(true);
    expect(tps.find((t) => t.kind === "order")!.data).toMatchObject({ orderId: order!.id, total: 207_800 });
    // the log is in time order
    expect(tps.map((t) => t.at)).toEqual([...tps.map((t) => t.at)].sort((a, b) => a - b));
  });

  it("delivered → two hours later CSAT, NPS and an open question; a good moment", async () => {
    const c = await contact();
    const [order] = await h.store.listOrders({ contactId: c.id });
    const res = await h.staff("POST", `/api/orders/${order!.id}/status`, { status: "delivered" });
    expect(res.status).toBe(202);
    expect(h.drivers.web.replies(user).at(-1)!.text).toContain("доставлен");
    const before = h.drivers.web.replies(user).length;

    await h.later(HOUR); // not yet
    expect(h.drivers.web.replies(user).length).toBe(before);
    await h.later(HOUR + 1000);
    const [csat] = h.drivers.web.replies(user).slice(before);
    expect(csat!.text).toContain("Как прошла моя работа сегодня?");
    expect(csat!.choices.map((x) => x.label)).toEqual(["1", "2", "3", "4", "5"]);

    const [nps] = await h.tap("web", user, "5");
    expect(nps!.choices).toHaveLength(11);
    const [open] = await h.tap("web", user, "9");
    expect(open!.choices).toHaveLength(0);
    const thanks = await h.say("web", user, "всё отлично");
    expect(thanks.at(-1)!.choices.length).toBeGreaterThan(0);

    const after = await contact();
    expect(after.stagesReached.satisfaction).toBeDefined();
    expect(after.balance).toBeGreaterThan(0);
    const feedback = (await h.store.listTouchpoints(after.id, 1000)).filter((t) => t.kind === "feedback");
    expect(feedback.map((t) => t.summary)).toEqual(["CSAT 5", "NPS 9", "OPEN всё отлично"]);
    expect(feedback.slice(0, 2).map((t) => t.moment)).toEqual(["good", "good"]);
    const [delivered] = await h.store.listOrders({ contactId: after.id });
    expect(delivered!.status).toBe("delivered");
  });

  it("a low score alerts staff at once and opens a handoff; the contact is at risk", async () => {
    const u2 = "web-lyuda-000002";
    await h.say("web", u2, "/start");
    await h.say("web", u2, "меню");
    await h.tap("web", u2, "Каталог");
    await h.tap("web", u2, "Протеиновые батончики");
    await h.tap("web", u2, "Ягодный");
    await h.tap("web", u2, "6 шт");
    await h.tap("web", u2, "Оформить заказ");
    await h.tap("web", u2, "Самовывоз");
    await h.say("web", u2, "+7 999 000-11-22");
    await h.tap("web", u2, "Заказать");
    const c = (await contactByIdentity(h.store, "web", await h.platformUser("web", u2)))!;
    const key = `web:${await h.platformUser("web", u2)}`;
    const [order] = await h.store.listOrders({ contactId: c.id });
    await h.staff("POST", `/api/orders/${order!.id}/status`, { status: "delivered" });
    await h.later(2 * HOUR + 1000);
    const sorry = await h.tap("web", u2, "2");
    expect(sorry.map((r) => r.text).join("\n")).toMatch(/жаль|извин|простите/i);

    const inbox = await h.staff("GET", "/api/inbox");
    const chat = inbox.json.conversations.find((x: { key: string }) => x.key === key);
    expect(chat.handoff).toMatchObject({ queue: "care" });
    const atRisk = await h.staff("GET", "/api/contacts?atRisk=1");
    expect(atRisk.json.contacts.map((x: { id: string }) => x.id)).toContain(c.id);
    const low = (await h.store.getContact(c.id))!;
    expect(low.balance).toBeLessThan(0);

    // while a person has the chat, the bot acknowledges once, then stays quiet; staff answer and hand back
    const ack = await h.say("web", u2, "Курьер опоздал на два часа");
    expect(ack.map((r) => r.text)).toEqual([expect.stringContaining("человек ответит")]);
    const quiet = await h.say("web", u2, "И батончики помялись");
    expect(quiet).toHaveLength(0);
    await h.staff("POST", `/api/conversations/${key}/reply`, { text: "Людмила, простите! Вернём доставку и добавим бонусы.", by: "Ольга" });
    expect(h.drivers.web.replies(u2).at(-1)!.text).toContain("Вернём доставку");
    await h.staff("POST", `/api/conversations/${key}/handback`, { by: "Ольга" });
    const back = h.drivers.web.replies(u2).at(-1)!;
    expect(back.choices.length).toBeGreaterThan(0);
    const handoffs = (await h.store.listTouchpoints(c.id, 1000)).filter((t) => t.kind === "handoff");
    expect(handoffs.length).toBeGreaterThanOrEqual(2);
  });
});
