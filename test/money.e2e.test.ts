import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { preCheckoutUpdate, successfulPaymentUpdate } from "./fakes/telegram-api.ts";
import { Customer } from "./support/customer.ts";
import { TG_SECRET, startHarness, type Harness } from "./support/harness.ts";
import { contactByIdentity } from "./support/store.ts";

/**
 * Money, computed once in kopecks and the same everywhere: in the chat, the staff API
 * and the report; promo codes and points to the kopeck; codes refused with a reason;
 * and a Telegram invoice paid on the fake Bot API.
 */
const NB = "\u00a0";
let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => h?.close());

const textOf = (r: { text: string }[]) => r.map((x) => x.text).join("\n");

async function firstOrder(c: Customer, phone: string, pay: "Заказать" | "Оплатить онлайн" = "Заказать") {
  await c.do({ start: null });
  await c.tap("Шоколадный брауни");
  await c.tap("12 шт");
  await c.tap("Оформить заказ");
  await c.tap("Курьер в офис");
  await c.type("Пресненская наб., 10, офис 1204");
  const confirm = await (c.channel === "telegram" ? c.do({ sharePhone: phone }) : c.type(phone));
  return { confirm, placed: await c.tap(pay) };
}

describe("money: 12 chocolate bars to an office, below the free-delivery threshold", () => {
  it("the total includes delivery, and is the same figure in the chat, the staff API and the report", async () => {
    const c = new Customer(h, "telegram", "6200000001");
    const { confirm, placed } = await firstOrder(c, "+79160000001");
    expect(textOf(confirm)).toContain(`Товары: 1${NB}788${NB}₽`);
    expect(textOf(confirm)).toContain(`Доставка: 290${NB}₽ (до бесплатной от 2${NB}500${NB}₽ осталось 712${NB}₽)`);
    expect(textOf(confirm)).toContain(`Итого: 2${NB}078${NB}₽`);
    expect(textOf(placed)).toMatch(new RegExp(`Заказ №\\S+ принят[\\s\\S]*Итого: 2${NB}078${NB}₽[\\s\\S]*Начислено баллов: \\+89`));

    const contact = (await contactByIdentity(h.store, "telegram", c.user))!;
    const { json: view } = await h.staff("GET", `/api/contacts/${contact.id}`);
    expect(view.orders[0]).toMatchObject({ total: 207_800, totals: { goods: 178_800, delivery: 29_000, promo: 0, points: 0, total: 207_800, earned: 89 } });
    const { json: list } = await h.staff("GET", "/api/orders");
    expect(list.orders.find((o: { id: string }) => o.id === view.orders[0].id).total).toBe(207_800);
    const { status, json: report } = await h.staff("GET", "/api/report/orders");
    expect(status).toBe(200);
    expect(report.rows.find((r: { id: string }) => r.id === view.orders[0].id)).toMatchObject({ total: 207_800, goods: 178_800, delivery: 29_000 });
    // and no amount breaks across lines: every figure is held together by no-break spaces
    for (const r of await c.all()) expect(r.text).not.toMatch(/\d ₽|\d \d{3}\b/);
  });

  it("with a promo code and spent points the total is right to the kopeck", async () => {
    const c = new Customer(h, "web", "web-money-points-0001");
    await firstOrder(c, "+7 916 000-00-02"); // earns 89 points
    await c.do({ start: null });
    await c.tap("Шоколадный брауни");
    await c.tap("12 шт");
    const applied = await c.type("у меня промокод fit10");
    expect(textOf(applied)).toContain(`Промокод FIT10 применён: скидка 10${NB}%`);
    await c.tap("Оформить заказ");
    await c.tap("Как в прошлый раз");
    const spend = await c.tap("Списать 89 баллов");
    // goods 1 788 ₽ − 10 % (178,80 ₽) − 89 points + 290 ₽ delivery (1 609,20 ₽ is below 2 500 ₽)
    expect(textOf(spend)).toContain(`Промокод FIT10: −178,80${NB}₽`);
    expect(textOf(spend)).toContain(`Баллами: −89${NB}₽`);
    expect(textOf(spend)).toContain(`Итого: 1${NB}810,20${NB}₽`);
    await c.tap("Заказать");
    const contact = (await c.contact())!;
    const [order] = await h.store.listOrders({ contactId: contact.id });
    expect(order!.totals).toEqual({ goods: 178_800, promo: 17_880, promoCode: "FIT10", points: 8_900, delivery: 29_000, total: 181_020, earned: 76 });
    expect(order!.total).toBe(181_020);
    expect(contact.bonusPoints).toBe(76);
    const { json: report } = await h.staff("GET", "/api/report/orders");
    expect(report.rows.find((r: { id: string }) => r.id === order!.id)).toMatchObject({ total: 181_020, promo: 17_880, points: 8_900 });
  });

  it("an expired or used-up code is refused with a clear reason", async () => {
    const c = new Customer(h, "vk", "407000001");
    await c.do({ start: null });
    expect(textOf(await c.type("SUMMER25"))).toContain("Промокод SUMMER25 уже не действует: срок закончился 2026-08-31.");
    // FIRST50 has one use overall: the first customer takes it, the next hears it is used up
    const first = new Customer(h, "whatsapp", "79260000077");
    await first.do({ start: null });
    await first.tap("Шоколадный брауни");
    await first.tap("12 шт");
    await first.type("FIRST50");
    await first.tap("Оформить заказ");
    await first.tap("Самовывоз");
    await first.type("+79260000077");
    await first.tap("Заказать");
    const firstContact = (await contactByIdentity(h.store, "whatsapp", first.user))!;
    expect((await h.store.listOrders({ contactId: firstContact.id }))[0]!.totals).toMatchObject({ promoCode: "FIRST50", promo: 5_000 });
    expect(textOf(await c.type("FIRST50"))).toContain("Промокод FIRST50 закончился: все его использования уже разобрали.");
    // and the same customer cannot use a one-per-customer code twice
    await first.do({ start: null });
    expect(textOf(await first.type("FIRST50"))).toMatch(/FIRST50 (вы уже использовали|закончился)/);
  });
});

describe("Telegram payments on the fake Bot API", () => {
  it("an invoice with the order's lines, paid: the order is marked paid, a touchpoint in the action stage", async () => {
    const c = new Customer(h, "telegram", "6200000009");
    const { placed } = await firstOrder(c, "+79160000009", "Оплатить онлайн");
    expect(textOf(placed)).toContain(`Счёт на 2${NB}078${NB}₽`);
    const [invoice] = await h.telegram.waitForCalls("sendInvoice", 1);
    expect(invoice!.params.currency).toBe("RUB");
    expect(invoice!.params.prices).toEqual([
      { label: "Шоколадный брауни × 12", amount: 178_800 },
      { label: "Доставка", amount: 29_000 },
    ]);
    const contact = (await contactByIdentity(h.store, "telegram", c.user))!;
    const [order] = await h.store.listOrders({ contactId: contact.id });
    expect(invoice!.params.payload).toBe(order!.id);

    const post = async (update: Record<string, unknown>) =>
      h.app.http.inject({ method: "POST", url: "/webhooks/telegram", payload: JSON.stringify(update), headers: { "content-type": "application/json", "x-telegram-bot-api-secret-token": TG_SECRET } });
    const pre = await post(preCheckoutUpdate(9_000_001, invoice!, { id: Number(c.user) }));
    expect(pre.json()).toEqual({ method: "answerPreCheckoutQuery", pre_checkout_query_id: "pcq9000001", ok: true });
    await h.telegram.webhookReply(pre.body);
    expect((await post(successfulPaymentUpdate(9_000_002, invoice!, { id: Number(c.user) }, h.clock.now()))).statusCode).toBe(200);
    await h.app.idle();
    const paid = (await h.store.getOrder(order!.id))!;
    expect(paid.payment).toMatchObject({ method: "online", status: "paid", provider: "telegram", chargeId: "tg_charge_9000002" });
    expect(textOf(await c.catchUp())).toContain(`Оплата 2${NB}078${NB}₽ получена ✅`);
    const tps = await h.store.listTouchpoints(contact.id, 1000);
    expect(tps.find((t) => t.kind === "order_status" && t.data?.paid === 207_800)).toBeDefined();
    expect((await contactByIdentity(h.store, "telegram", c.user))!.stagesReached.action).toBeDefined();
    const { json: report } = await h.staff("GET", "/api/report/orders");
    expect(report.rows.find((r: { id: string }) => r.id === order!.id).paid).toBe(true);

    // refunds are noted by staff
    expect((await h.staff("POST", `/api/orders/${order!.id}/refund`, { note: "вернули по просьбе клиента", by: "Ольга" })).status).toBe(202);
    expect((await h.store.getOrder(order!.id))!.payment).toMatchObject({ status: "refunded", refundNote: "вернули по просьбе клиента" });
  });

  it("a pre-checkout for an order that changed is refused", async () => {
    const c = new Customer(h, "telegram", "6200000010");
    await firstOrder(c, "+79160000010", "Оплатить онлайн");
    const invoice = h.telegram.callsOf("sendInvoice").find((call) => String(call.params.chat_id) === c.user)!;
    const post = async (update: Record<string, unknown>) =>
      h.app.http.inject({ method: "POST", url: "/webhooks/telegram", payload: JSON.stringify(update), headers: { "content-type": "application/json", "x-telegram-bot-api-secret-token": TG_SECRET } });
    // the amount asked for is not the order's any more
    const changed = await post(preCheckoutUpdate(9_000_011, invoice, { id: Number(c.user) }, { totalAmount: 100_000 }));
    expect(changed.json()).toMatchObject({ method: "answerPreCheckoutQuery", ok: false, error_message: "Заказ изменился — откройте чат, я пришлю новый счёт." });
    // and a cancelled order
    const order = (await h.store.getOrder(String(invoice.params.payload)))!;
    await h.staff("POST", `/api/orders/${order.id}/status`, { status: "cancelled" });
    const cancelled = await post(preCheckoutUpdate(9_000_012, invoice, { id: Number(c.user) }));
    expect(cancelled.json()).toMatchObject({ ok: false, error_message: "Заказ отменён — напишите в чат, если это ошибка." });
  });
});
