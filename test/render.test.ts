import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { matchChoice } from "../src/engine/answers.ts";
import { CAPABILITIES, TELEGRAM_CAPABILITIES, VK_CAPABILITIES, WEB_CAPABILITIES, WHATSAPP_CAPABILITIES } from "../src/model/channel.ts";
import type { Choice } from "../src/model/outbound.ts";
import { fitId, matchesId } from "../src/render/ids.ts";
import { render } from "../src/render/render.ts";

const choices = (n: number, label = (i: number) => `Вариант ${i + 1}`): Choice[] =>
  Array.from({ length: n }, (_, i) => ({ id: `opt_${i + 1}`, label: label(i) }));

describe("degradation per channel profile", () => {
  it("telegram: buttons become an inline keyboard, ids within 64 bytes, two per row", () => {
    const [part, ...rest] = render({ text: "Что показать?", choices: choices(5) }, TELEGRAM_CAPABILITIES);
    expect(rest).toHaveLength(0);
    expect(part!.buttons!.map((r) => r.length)).toEqual([2, 2, 1]);
    const longId = "product:" + "очень-длинный-идентификатор".repeat(3);
    const [p2] = render({ text: "x", choices: [{ id: longId, label: "Купить" }] }, TELEGRAM_CAPABILITIES);
    const sent = p2!.buttons![0]![0]!.id;
    expect(Buffer.byteLength(sent)).toBeLessThanOrEqual(64);
    // the engine recognises the shortened id when it comes back
    expect(matchChoice([{ id: longId, label: "Купить" }], { buttonId: sent })?.id).toBe(longId);
  });

  it("whatsapp: 3 choices are reply buttons with titles ≤ 20 chars", () => {
    const [part] = render({ text: "Выберите", choices: choices(3, () => "Очень длинное название кнопки") }, WHATSAPP_CAPABILITIES);
    expect(part!.buttons!.flat()).toHaveLength(3);
    for (const b of part!.buttons!.flat()) expect([...b.label].length).toBeLessThanOrEqual(20);
    expect(part!.list).toBeUndefined();
  });

  it("whatsapp: 4–10 choices become a list, rows ≤ 24 chars", () => {
    const [part] = render({ text: "Каталог", choices: choices(7, (i) => `Протеиновый батончик №${i} с шоколадом`), listLabel: "Открыть каталог" }, WHATSAPP_CAPABILITIES);
    expect(part!.buttons).toBeUndefined();
    expect(part!.list!.rows).toHaveLength(7);
    expect(part!.list!.buttonLabel).toBe("Открыть каталог");
    for (const r of part!.list!.rows) expect([...r.label].length).toBeLessThanOrEqual(24);
  });

  it("whatsapp: more than 10 choices become numbered text the customer answers with a digit", () => {
    const cs = choices(12);
    const [part] = render({ text: "Всё меню", choices: cs }, WHATSAPP_CAPABILITIES);
    expect(part!.buttons).toBeUndefined();
    expect(part!.list).toBeUndefined();
    expect(part!.text).toContain("1. Вариант 1");
    expect(part!.text).toContain("12. Вариант 12");
    expect(matchChoice(cs, { text: "12" })?.id).toBe("opt_12");
  });

  it("NPS 0–10 on WhatsApp lists the scores themselves, and '0' means zero", () => {
    const nps = Array.from({ length: 11 }, (_, i) => ({ id: String(i), label: String(i) }));
    const [part] = render({ text: "Порекомендуете нас?", choices: nps }, WHATSAPP_CAPABILITIES);
    expect(part!.text).toContain("0 · 1 · 2");
    expect(matchChoice(nps, { text: "0" })?.id).toBe("0");
    expect(matchChoice(nps, { text: "9" })?.id).toBe("9");
  });

  it("whatsapp: text with buttons is cut to the 1024-char interactive body, the rest goes first", () => {
    const text = "Состав и польза. ".repeat(150); // ~2550 chars
    const parts = render({ text, choices: choices(2) }, WHATSAPP_CAPABILITIES);
    expect(parts.length).toBeGreaterThan(1);
    const last = parts.at(-1)!;
    expect(last.buttons).toBeDefined();
    expect(last.text.length).toBeLessThanOrEqual(1024);
    for (const p of parts.slice(0, -1)) expect(p.buttons).toBeUndefined();
  });

  it("vk: up to 20 buttons (NPS 0–10 stays one tap); more become numbered text; photos become links", () => {
    expect(render({ text: "a", choices: choices(11) }, VK_CAPABILITIES)[0]!.buttons!.flat()).toHaveLength(11);
    const [many] = render({ text: "a", choices: choices(21) }, VK_CAPABILITIES);
    expect(many!.buttons).toBeUndefined();
    expect(many!.text).toContain("21. Вариант 21");
    const [photo] = render({ text: "Батончик", photoUrl: "https://example.com/bar.jpg" }, VK_CAPABILITIES);
    expect(photo!.photoUrl).toBeUndefined();
    expect(photo!.text).toContain("https://example.com/bar.jpg");
  });

  it("web: photo with caption and buttons in one part; askPhone kept", () => {
    const parts = render({ text: "Батончик", photoUrl: "https://example.com/bar.jpg", choices: choices(2), askPhone: { label: "Телефон" } }, WEB_CAPABILITIES);
    expect(parts).toHaveLength(1);
    expect(parts[0]).toMatchObject({ photoUrl: "https://example.com/bar.jpg", askPhone: { label: "Телефон" } });
    // WhatsApp has no share-phone button: the flow's text asks to type it
    expect(render({ text: "Телефон?", askPhone: { label: "Телефон" } }, WHATSAPP_CAPABILITIES)[0]!.askPhone).toBeUndefined();
  });

  it("long text is split at paragraph boundaries within every channel's limit, nothing lost", () => {
    const paragraphs = Array.from({ length: 40 }, (_, i) => `Абзац ${i}. ${"слово ".repeat(60)}`);
    const text = paragraphs.join("\n\n");
    for (const caps of Object.values(CAPABILITIES)) {
      const parts = render({ text }, caps);
      for (const p of parts) expect([...p.text].length).toBeLessThanOrEqual(caps.maxTextLength);
      expect(parts.map((p) => p.text).join(" ").replace(/\s+/g, " ")).toBe(text.replace(/\s+/g, " "));
    }
  });

  it("property: any text and choices render within every channel's limits", () => {
    fc.assert(
      fc.property(
        fc.string({ maxLength: 12000 }),
        fc.array(fc.record({ id: fc.string({ minLength: 1, maxLength: 300 }), label: fc.string({ minLength: 1, maxLength: 60 }) }), { maxLength: 15 }),
        (text, cs) => {
          for (const caps of Object.values(CAPABILITIES)) {
            const parts = render({ text, choices: cs }, caps);
            expect(parts.length).toBeGreaterThan(0);
            for (const p of parts) {
              expect([...p.text].length).toBeLessThanOrEqual(caps.maxTextLength);
              const buttons = p.buttons?.flat() ?? [];
              if (caps.buttons) {
                expect(buttons.length).toBeLessThanOrEqual(caps.buttons.max);
                for (const b of buttons) {
                  expect(Buffer.byteLength(b.id)).toBeLessThanOrEqual(caps.buttons.maxIdBytes);
                  expect([...b.label].length).toBeLessThanOrEqual(caps.buttons.maxLabel);
                }
                if (buttons.length > 0 && caps.buttons.maxText) expect([...p.text].length).toBeLessThanOrEqual(caps.buttons.maxText);
              }
              if (p.list && caps.list) {
                expect(p.list.rows.length).toBeLessThanOrEqual(caps.list.maxRows);
                for (const r of p.list.rows) expect([...r.label].length).toBeLessThanOrEqual(caps.list.maxTitle);
              }
            }
          }
        },
      ),
      { numRuns: 150 },
    );
  });

  it("fitId/matchesId round-trip for any id", () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 400 }), fc.integer({ min: 8, max: 256 }), (id, max) => {
        const sent = fitId(id, max);
        expect(Buffer.byteLength(sent)).toBeLessThanOrEqual(Math.max(max, 5));
        expect(matchesId(id, sent)).toBe(true);
      }),
    );
  });
});
