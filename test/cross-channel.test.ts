import { describe, it } from "vitest";
import type { Contact, Order, StageKey, Touchpoint } from "../src/model/domain.ts";
import { Customer } from "./support/customer.ts";
import { DAY, HOUR, startHarness, type Harness } from "./support/harness.ts";
import { contactByIdentity } from "./support/store.ts";

/**
 * One person, two messengers: the phone number ties a Telegram chat and a WhatsApp
 * chat to one contact with one history, whichever channel came first.
 * The two stories run side by side, each with its own app and fake platforms.
 */

interface ContactView {
  contact: Contact;
  touchpoints: Touchpoint[];
  orders: Order[];
}

async function contactView(h: Harness, id: string): Promise<ContactView> {
  const { status, json } = await h.staff("GET", `/api/contacts/${id}`);
  if (status !== 200) throw new Error(`GET /api/contacts/${id} answered ${status}`);
  return json as ContactView;
}

/** From the first message to a placed order; the phone is shared with Telegram's contact button. */
async function orderOnTelegram(tg: Customer, phone: string, steps: { before?: string[] } = {}): Promise<void> {
  for (const label of steps.before ?? ["Каталог", "Протеиновые батончики", "Шоколадный брауни"]) await tg.tap(label);
  await tg.tap("12 шт");
  await tg.tap("Оформить заказ");
  await tg.tap("Курьер в офис");
  await tg.type("Пресненская наб., 10, офис 1204");
  await tg.do({ sharePhone: phone });
  const placed = await tg.tap("Заказать");
  if (!placed.some((r) => /Заказ №\S+ принят/.test(r.text))) throw new Error(`no order: ${JSON.stringify(placed.map((r) => r.text))}`);
}

describe.concurrent("one customer across channels", () => {
  it("ordered on Telegram, writes on WhatsApp later: the same contact, and «Повторить заказ» repeats the Telegram order", async ({ expect }) => {
    const h = await startHarness();
    try {
      const phone = "79161234567";
      const tg = new Customer(h, "telegram", "5012349001");
      await tg.do({ start: null });
      await orderOnTelegram(tg, phone);
      const contact = (await contactByIdentity(h.store, "telegram", tg.user))!;
      expect(contact.phone).toBe(phone);

      // three days later, from the WhatsApp of the same number
      await h.later(3 * DAY);
      const wa = new Customer(h, "whatsapp", phone);
      const [menu] = await wa.type("Здравствуйте!");
      expect(menu!.choices.map((c) => c.label)).toContain("🔁 Повторить заказ");
      expect((await contactByIdentity(h.store, "whatsapp", phone))?.id).toBe(contact.id);

      const [confirm] = await wa.tap("Повторить заказ");
      expect(confirm!.text).toContain("Шоколадный брауни × 12");
      expect(confirm!.choices.map((c) => c.label)).toContain("Повторить");
      // confirmed: no catalogue, no address, no phone asked again
      const placed = await wa.tap(/^Повторить$/);
      expect(placed.map((r) => r.text)).toEqual([expect.stringMatching(/^Заказ №\S+ принят/)]);

      const view = await contactView(h, contact.id);
      expect(view.contact.mergedInto).toBeUndefined();
      expect(view.contact.identities.map((i) => `${i.channel}:${i.userId}`).sort()).toEqual([`telegram:${tg.user}`, `whatsapp:${phone}`]);
      expect(new Set(view.touchpoints.map((t) => t.channel))).toEqual(new Set(["telegram", "whatsapp"]));
      expect(view.touchpoints.filter((t) => t.kind === "order").map((t) => t.channel)).toEqual(["telegram", "whatsapp"]);
      const orders = [...view.orders].sort((a, b) => a.createdAt - b.createdAt);
      expect(orders.map((o) => o.channel)).toEqual(["telegram", "whatsapp"]);
      for (const o of orders) {
        expect(o).toMatchObject({ contactId: contact.id, phone, address: "Пресненская наб., 10, офис 1204", delivery: "courier_office" });
        expect(o.lines.map((l) => [l.productId, l.qty])).toEqual([["bar_choco", 12]]);
      }
      expect(view.contact.orderCount).toBe(2);
      expect(view.contact.stagesReached.repeat).toBe(h.clock.now());
      // one person in the contact list, not two
      const { json } = await h.staff("GET", "/api/contacts?limit=500");
      expect((json.contacts as Contact[]).filter((c) => c.phone === phone && !c.mergedInto)).toHaveLength(1);
    } finally {
      await h.close();
    }
  });

  it("wrote on WhatsApp first, then shares the same phone on Telegram: the contacts merge, earliest stages win", async ({ expect }) => {
    const h = await startHarness();
    try {
      const phone = "79165550022";
      const t0 = h.clock.now();
      const wa = new Customer(h, "whatsapp", phone);
      await wa.do({ start: null });
      await wa.type("меню"); // interest on WhatsApp at t0
      const waContact = (await contactByIdentity(h.store, "whatsapp", phone))!;
      expect(waContact.phone).toBe(phone); // WhatsApp knows the number

      // an hour later on Telegram: browses as far as the product card
      await h.later(HOUR);
      const t1 = h.clock.now();
      const tg = new Customer(h, "telegram", "5012349002");
      await tg.do({ start: null });
      for (const label of ["Каталог", "Протеиновые батончики", "Шоколадный брауни"]) await tg.tap(label);
      const tgContact = (await contactByIdentity(h.store, "telegram", tg.user))!;
      expect(tgContact.id).not.toBe(waContact.id); // nothing ties them yet

      // another hour: the catalogue on WhatsApp (desire there is later than on Telegram)
      await h.later(HOUR);
      await wa.tap("Каталог");

      // and another: the order on Telegram, sharing the phone
      await h.later(HOUR);
      const t3 = h.clock.now();
      await orderOnTelegram(tg, phone, { before: [] });

      const from = await contactView(h, tgContact.id);
      expect(from.contact.mergedInto).toBe(waContact.id);
      const into = await contactView(h, waContact.id);
      expect(into.contact.mergedInto).toBeUndefined();
      expect((await contactByIdentity(h.store, "telegram", tg.user))?.id).toBe(waContact.id);
      expect(into.contact.identities.map((i) => `${i.channel}:${i.userId}`).sort()).toEqual([`telegram:${tg.user}`, `whatsapp:${phone}`]);

      // one history: both channels' touchpoints under one id, the Telegram order with them
      const channels = (kind: string) => new Set(into.touchpoints.filter((t) => t.kind === kind).map((t) => t.channel));
      expect(channels("message_out")).toEqual(new Set(["telegram", "whatsapp"]));
      expect(channels("button")).toEqual(new Set(["telegram", "whatsapp"]));
      expect(into.touchpoints.every((t) => t.contactId === waContact.id)).toBe(true);
      expect(into.orders.map((o) => [o.channel, o.contactId, o.phone])).toEqual([["telegram", waContact.id, phone]]);
      expect(into.contact.orderCount).toBe(1);

      // each stage at the first time either channel reached it
      const expected: Partial<Record<StageKey, number>> = {
        awareness: t0, // WhatsApp
        interest: t0, // WhatsApp
        desire: t1, // Telegram (WhatsApp only at t2)
        research: t1,
        comparison: t1,
        action: t3,
      };
      expect(into.contact.stagesReached).toMatchObject(expected);

      // the merged contact goes on: the next Telegram message is answered for it
      await tg.type("меню");
      const after = await contactView(h, waContact.id);
      expect(after.touchpoints.length).toBeGreaterThan(into.touchpoints.length);
      expect((await contactView(h, tgContact.id)).touchpoints).toHaveLength(0);
    } finally {
      await h.close();
    }
  });
});
