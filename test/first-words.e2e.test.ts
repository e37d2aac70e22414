import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Channel } from "../src/model/channel.ts";
import { Customer } from "./support/customer.ts";
import { startHarness, type Harness } from "./support/harness.ts";

/**
 * The first words count, on every channel: whatever a customer writes first is
 * answered (the welcome folded in), catalogue words work at any step, audience words
 * route partners without standing in a buyer's way, and a bare «2» is a choice only
 * where the customer saw numbered lines. Replies are read at the fake platforms.
 */
const CHANNELS: Channel[] = ["telegram", "whatsapp", "vk", "max", "web"];
let n = 0;
const userOn = (channel: Channel): string => {
  n++;
  switch (channel) {
    case "telegram":
      return String(6_100_000_000 + n);
    case "whatsapp":
      return String(79_260_000_000 + n);
    case "vk":
      return String(406_000_000 + n);
    case "max":
      return String(507_000_000 + n);
    case "web":
      return `web-first-words-${n}-session`;
  }
};
const textOf = (replies: { text: string }[]) => replies.map((r) => r.text).join("\n");
const labelsOf = (replies: { choices: { label: string }[] }[]) => replies.flatMap((r) => r.choices.map((c) => c.label));

describe.each(CHANNELS)("first words on %s", (channel) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => h?.close());
  const customer = () => new Customer(h, channel, userOn(channel));

  it("the first message «сколько стоит доставка?» gets the delivery terms, with the welcome folded in", async () => {
    const c = customer();
    const replies = await c.type("сколько стоит доставка?");
    const text = textOf(replies);
    expect(text).toContain("Здравствуйте! Это ФитПерекус");
    expect(text).toMatch(/Привезём курьером по Москве/);
    expect(text).toMatch(/290\u00a0₽, от 2\u00a0500\u00a0₽ бесплатно/);
    // and never the audience question instead of the answer
    expect(labelsOf(replies)).not.toContain("Стать партнёром");
    expect(labelsOf(replies)).toContain("Каталог");
  });

  it("«батончики» shows the bars: as the first message, at the quantity question and at the address question", async () => {
    const c = customer();
    const first = await c.type("батончики");
    expect(textOf(first)).toContain("Здравствуйте! Это ФитПерекус");
    expect(labelsOf(first)).toEqual(expect.arrayContaining(["Шоколадный брауни", "Ванильный чизкейк", "Арахис и карамель"]));

    await c.tap("Шоколадный брауни");
    await c.tap("Другое количество");
    const atQty = await c.type("батончики");
    expect(labelsOf(atQty)).toEqual(expect.arrayContaining(["Шоколадный брауни", "Ягодный микс"]));

    await c.tap("Шоколадный брауни");
    await c.tap("12 шт");
    await c.tap("Оформить заказ");
    const address = await c.tap("Курьер в офис");
    expect(textOf(address)).toContain("адрес");
    const atAddress = await c.type("Батончики");
    expect(labelsOf(atAddress)).toEqual(expect.arrayContaining(["Шоколадный брауни", "Кокос в шоколаде"]));
  });

  it("«хочу стать франчайзи» reaches the partner flow, as the first message and from the middle of shopping", async () => {
    const c = customer();
    const replies = await c.type("хочу стать франчайзи");
    expect(textOf(replies)).toContain("менеджеру по франшизе");
    expect(textOf(replies)).toContain("В каком городе");
    const contact = await c.contact();
    expect(contact!.audience).toBe("partner");

    const buyer = customer();
    await buyer.type("/start");
    await buyer.tap("Каталог");
    const later = await buyer.type("Интересует франшиза");
    expect(textOf(later)).toContain("менеджеру по франшизе");
  });

  it("«2» where no numbers were offered is not a choice: no partner flow, the bot says it did not understand", async () => {
    const c = customer();
    const welcome = await c.type("/start");
    expect(welcome.every((r) => r.shape !== "numbered")).toBe(true);
    const two = await c.type("2");
    expect(textOf(two)).toContain("Не совсем понял");
    expect(textOf(two)).not.toContain("франшиз");
    const contact = await c.contact();
    expect(contact!.audience).toBe("customer");
    const conv = await h.store.getConversation(await c.conversationKey());
    expect(conv!.flow).toBe("customer");
    // the offer is new, with a person — not the same menu again
    expect(labelsOf(two)).toContain("Позвать человека");
  });
});
