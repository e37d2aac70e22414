import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Customer } from "./support/customer.ts";
import { armWhatsAppFailures } from "./support/customer.ts";
import { startHarness, type Harness } from "./support/harness.ts";

/**
 * A product card whose photo the platform refuses still reaches the customer: the
 * same text and buttons, without the photo (Telegram "wrong file identifier / HTTP
 * URL specified", WhatsApp "media download error"), never a dropped card.
 */
describe("a refused photo", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => h?.close());

  it("Telegram: sendPhoto refused → the product card as a message with its buttons", async () => {
    const c = new Customer(h, "telegram", "6300000001");
    await c.do({ start: null });
    h.telegram.failNext(1, { status: 400, method: "sendPhoto", description: "Bad Request: wrong file identifier/HTTP URL specified" });
    const replies = await c.tap("Шоколадный брауни");
    const card = replies.at(-1)!;
    expect(card.text).toContain("Шоколадный брауни — 149\u00a0₽");
    expect(card.photoUrl).toBeUndefined();
    expect(card.choices.map((x) => x.label)).toEqual(["🛒 1 шт.", "🛒 6 шт.", "🛒 12 шт.", "Другое количество", "Назад", "Позвать человека"]);
    expect(h.telegram.callsOf("sendPhoto").at(-1)!.status).toBe(400);
    // and the buttons work
    expect((await c.tap("12 шт")).map((r) => r.text).join("\n")).toContain("Шоколадный брауни × 12");
  });

  it("WhatsApp: the image message refused → the card as a list with its text", async () => {
    const c = new Customer(h, "whatsapp", "79260000501");
    await c.do({ start: null });
    armWhatsAppFailures(h, 1, { status: 400, code: 131053, message: "Media upload error" });
    const replies = await c.tap("Шоколадный брауни");
    const card = replies.at(-1)!;
    expect(card.text).toContain("Шоколадный брауни — 149");
    expect(card.choices.map((x) => x.label)).toContain("🛒 12 шт.");
  });
});
