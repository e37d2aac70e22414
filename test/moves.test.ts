import { describe, it } from "vitest";
import type { Contact, Conversation, Touchpoint } from "../src/model/domain.ts";
import type { OutboxItem } from "../src/model/outbound.ts";
import { Customer } from "./support/customer.ts";
import { startHarness, type Harness } from "./support/harness.ts";
import { contactByIdentity } from "./support/store.ts";

/**
 * Moving with the customer: Telegram is slow or blocked for them, so the shop offers
 * MAX with one tap (a deep link with a one-time code) and the conversation, the cart
 * and the history continue there as the same contact; a reply the first messenger
 * cannot deliver is offered on the contact's other channel instead of only parked.
 */

async function withCart(h: Harness, user: string): Promise<Customer> {
  const tg = new Customer(h, "telegram", user);
  await tg.do({ start: null });
  for (const label of ["Каталог", "Протеиновые батончики", "Шоколадный брауни", "12 шт"]) await tg.tap(label);
  return tg;
}

/** the staff API offers the move; the customer reads the link on Telegram and opens it in MAX */
async function moveToMax(h: Harness, tg: Customer, maxUser: string): Promise<{ max: Customer; link: string; code: string }> {
  const res = await h.staff("POST", `/api/conversations/${tg.key}/move`, { to: "max", by: "Ольга" });
  if (res.status !== 202) throw new Error(`move answered ${res.status}: ${JSON.stringify(res.json)}`);
  const link = String(res.json.link);
  const code = /start=(mv_[A-Za-z0-9]+)$/.exec(link)![1]!;
  const max = new Customer(h, "max", maxUser);
  await max.do({ start: code });
  return { max, link, code };
}

describe.concurrent("moving with the customer", () => {
  it("Telegram → MAX by a one-time link: same contact, the cart and the history continue; the link works once", async ({ expect }) => {
    const h = await startHarness();
    try {
      const tg = await withCart(h, "5012349201");
      const contact = (await contactByIdentity(h.store, "telegram", tg.user))!;

      const res = await h.staff("POST", `/api/conversations/${tg.key}/move`, { to: "max", by: "Ольга" });
      expect(res.status).toBe(202);
      expect(res.json.link).toMatch(/^https:\/\/max\.ru\/sportpit_shop_bot\?start=mv_[A-Za-z0-9]{16}$/);
      // the offer reaches the customer where they are, with the link to tap
      const [offer] = await tg.catchUp();
      expect(offer!.text).toContain("продолжим в MAX");
      expect(offer!.text).toContain(res.json.link);

      const code = /start=(mv_[A-Za-z0-9]+)$/.exec(res.json.link)![1]!;
      const max = new Customer(h, "max", "41009201");
      const arrived = await max.do({ start: code });
      expect(arrived[0]!.text).toBe("Продолжаем здесь — всё из Telegram сохранено.\nВ корзине:\n• Шоколадный брауни × 12");
      expect(arrived.at(-1)!.choices.map((c) => c.label)).toContain("Каталог");

      // one contact on both channels; the MAX chat carries the Telegram chat's cart
      expect((await contactByIdentity(h.store, "max", max.user))?.id).toBe(contact.id);
      const conv = (await h.store.getConversation(max.key)) as Conversation;
      expect(conv.contactId).toBe(contact.id);
      expect(conv.cart).toEqual([expect.objectContaining({ productId: "bar_choco", qty: 12 })]);
      // and the customer goes on from there: the cart is one tap away, the order one more
      await max.tap("Каталог");
      const cart = await max.tap("Корзина");
      expect(cart.map((r) => r.text).join("\n")).toContain("Шоколадный брауни × 12");

      // the journey shows the move on the new channel; both channels' messages under one contact
      const { json } = await h.staff("GET", `/api/contacts/${contact.id}`);
      const tps = json.touchpoints as Touchpoint[];
      const move = tps.find((t) => t.kind === "note" && t.data?.move)!;
      expect(move).toMatchObject({ channel: "max", conversationKey: max.key, summary: "moved from telegram to max" });
      expect(new Set(tps.filter((t) => t.kind === "message_out").map((t) => t.channel))).toEqual(new Set(["telegram", "max"]));
      expect((json.contact as Contact).identities.map((i) => `${i.channel}:${i.userId}`).sort()).toEqual([`max:${max.user}`, `telegram:${tg.user}`]);

      // a forwarded link does nothing for someone else: the code is spent
      const stranger = new Customer(h, "max", "41009299");
      const [greeting] = await stranger.do({ start: code });
      expect(greeting!.text).toMatch(/Здравствуйте/);
      expect((await contactByIdentity(h.store, "max", stranger.user))?.id).not.toBe(contact.id);
    } finally {
      await h.close();
    }
  });

  it("refuses a move to the same channel, to an unknown one, or without the staff token", async ({ expect }) => {
    const h = await startHarness();
    try {
      const tg = new Customer(h, "telegram", "5012349202");
      await tg.do({ start: null });
      expect((await h.staff("POST", `/api/conversations/${tg.key}/move`, { to: "telegram" })).status).toBe(409);
      expect((await h.staff("POST", `/api/conversations/${tg.key}/move`, { to: "icq" })).status).toBe(400);
      // WhatsApp has no deep link that could carry the code
      expect((await h.staff("POST", `/api/conversations/${tg.key}/move`, { to: "whatsapp" })).status).toBe(400);
      expect((await h.staff("POST", "/api/conversations/telegram:404404/move", { to: "max" })).status).toBe(404);
      const anon = await h.app.http.inject({ method: "POST", url: `/api/conversations/${tg.key}/move`, payload: { to: "max" } });
      expect(anon.statusCode).toBe(401);
      expect(h.max.sent()).toEqual([]);
    } finally {
      await h.close();
    }
  });

  it("a reply Telegram cannot deliver (bot blocked) is offered in the customer's MAX chat instead of only parked", async ({ expect }) => {
    const h = await startHarness();
    try {
      const tg = await withCart(h, "5012349203");
      const { max } = await moveToMax(h, tg, "41009203");
      await max.catchUp();

      // the customer blocked the Telegram bot; staff answer the Telegram chat
      h.telegram.failNext(1, { status: 403, method: "sendMessage", description: "Forbidden: bot was blocked by the user" });
      expect((await h.staff("POST", `/api/conversations/${tg.key}/reply`, { by: "Ольга", text: "Курьер будет у вас в 15:00." })).status).toBe(202);
      await h.app.idle();

      const [carried] = await max.catchUp();
      expect(carried!.text).toBe("Не получилось доставить сообщение в Telegram, поэтому пишу сюда:\n\nКурьер будет у вас в 15:00.");
      const { json } = await h.staff("GET", "/api/outbox?status=dead");
      const dead = (json.items as OutboxItem[]).filter((i) => i.conversationKey === tg.key);
      expect(dead).toHaveLength(1);
      expect(dead[0]!.lastError).toMatch(new RegExp(`customer unreachable: .*; offered on ${max.key}`));
    } finally {
      await h.close();
    }
  });
});
