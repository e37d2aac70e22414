import { describe, it } from "vitest";
import type { Contact, Touchpoint } from "../src/model/domain.ts";
import { Customer } from "./support/customer.ts";
import { DAY, startHarness } from "./support/harness.ts";
import { contactByIdentity } from "./support/store.ts";

/**
 * MAX in one inbox with the other channels: a phone shared with MAX's contact button
 * joins the customer's contact from Telegram, and a staff reply from the staff API
 * reaches the customer's MAX dialog. Each story has its own app and fake platforms.
 */

async function toPhoneQuestion(c: Customer): Promise<void> {
  for (const label of ["Каталог", "Протеиновые батончики", "Шоколадный брауни", "12 шт"]) await c.tap(label);
  await c.tap("Оформить заказ");
  await c.tap("Курьер в офис");
  await c.type("Пресненская наб., 10, офис 1204");
}

describe.concurrent("MAX with the other channels", () => {
  it("ordered on Telegram, later shares the same phone in MAX: one contact, one history, both channels", async ({ expect }) => {
    const h = await startHarness();
    try {
      const phone = "79161230001";
      const tg = new Customer(h, "telegram", "5012349101");
      await tg.do({ start: null });
      await toPhoneQuestion(tg);
      await tg.do({ sharePhone: `+${phone}` });
      await tg.tap("Заказать");
      const tgContact = (await contactByIdentity(h.store, "telegram", tg.user))!;
      expect(tgContact.phone).toBe(phone);

      // three days later the customer's Telegram is slow; they open the shop's bot in MAX
      await h.later(3 * DAY);
      const max = new Customer(h, "max", "41009101");
      await max.do({ start: null });
      const maxContact = (await contactByIdentity(h.store, "max", max.user))!;
      expect(maxContact.id).not.toBe(tgContact.id); // nothing ties them yet
      await toPhoneQuestion(max);
      const [confirm] = await max.do({ sharePhone: `+${phone}` });
      expect(confirm!.text).toContain(`+${phone}`);
      const placed = await max.tap("Заказать");
      expect(placed.map((r) => r.text).join("\n")).toMatch(/Заказ №\S+ принят/);

      // the MAX contact joined the older Telegram one
      const { json } = await h.staff("GET", `/api/contacts/${tgContact.id}`);
      const contact = json.contact as Contact;
      expect(contact.mergedInto).toBeUndefined();
      expect(contact.identities.map((i) => `${i.channel}:${i.userId}`).sort()).toEqual([`max:${max.user}`, `telegram:${tg.user}`]);
      expect((await contactByIdentity(h.store, "max", max.user))?.id).toBe(tgContact.id);
      expect((await h.store.getContact(maxContact.id))?.mergedInto).toBe(tgContact.id);
      const tps = json.touchpoints as Touchpoint[];
      expect(new Set(tps.filter((t) => t.kind === "order").map((t) => t.channel))).toEqual(new Set(["telegram", "max"]));
      expect(tps.every((t) => t.contactId === tgContact.id)).toBe(true);
      expect(contact.orderCount).toBe(2);
    } finally {
      await h.close();
    }
  });

  it("a staff reply from POST /api/conversations/:key/reply reaches the customer's MAX dialog", async ({ expect }) => {
    const h = await startHarness();
    try {
      const max = new Customer(h, "max", "41009102");
      await max.do({ start: null });
      const [handoff] = await max.type("оператор");
      expect(handoff!.text.length).toBeGreaterThan(0);
      const res = await h.staff("POST", `/api/conversations/${max.key}/reply`, { by: "Ольга", text: "Здравствуйте! Батончики без сахара будут в пятницу." });
      expect(res.status).toBe(202);
      const seen = await max.catchUp();
      expect(seen.map((r) => r.text)).toContain("Здравствуйте! Батончики без сахара будут в пятницу.");
      // it went to the dialog the customer wrote from, once
      expect(h.max.sent().filter((m) => m.text.startsWith("Здравствуйте! Батончики")).map((m) => m.chatId)).toEqual([max.key.slice("max:".length)]);
      // the MAX chat is in the staff inbox like any other
      const { json } = await h.staff("GET", "/api/inbox");
      expect(JSON.stringify(json)).toContain(max.key);
    } finally {
      await h.close();
    }
  });
});
