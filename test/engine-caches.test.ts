import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { Bundle } from "../src/engine/bundle.ts";
import { loadBundle } from "../src/engine/check.ts";
import { step, type EngineResult } from "../src/engine/engine.ts";
import { fill } from "../src/engine/text.ts";
import type { Contact, Conversation, Order } from "../src/model/domain.ts";
import type { InboundMessage } from "../src/model/inbound.ts";
import { makeContact } from "./store-fixtures.ts";

/**
 * The engine keeps what it derives from a loaded bundle (product views, word lists,
 * parsed templates) between steps. These tests pin down that such caches never leak
 * into behaviour: a reloaded bundle is seen at once, and a step never changes its input.
 */

const BENCH_FLOWS = join(import.meta.dirname, "..", "bench", "flows");
const NOW = Date.UTC(2024, 10, 24, 12);

function contact(): Contact {
  return makeContact({ id: "c_1", name: "Ann", locale: "en", referralCode: "r1", identities: [{ channel: "telegram", userId: "1", reachable: true }], createdAt: NOW, updatedAt: NOW });
}

function message(seq: number, more: Partial<InboundMessage>): InboundMessage {
  return { type: "message", channel: "telegram", chatId: "1", userId: "1", dedupeKey: String(seq), platformMessageId: String(seq), at: NOW, ...more };
}

/** /start, a product, "12": the confirmation with the cart. */
function toConfirmation(bundle: Bundle): EngineResult[] {
  const results: EngineResult[] = [];
  let conversation: Conversation | null = null;
  let c = contact();
  const orders: Order[] = [];
  const script = [{ text: "/start" }, { buttonId: "bar_peanut" }, { text: "12" }];
  script.forEach((more, seq) => {
    let n = 0;
    const r = step({ bundle, event: message(seq, more), now: NOW + seq, conversation, contact: c, orders, referrer: null, newId: (p) => `${p}_${seq}_${n++}`, links: () => "" });
    results.push(r);
    conversation = r.conversation;
    c = r.contact;
  });
  return results;
}

describe("engine caches", () => {
  it("a reloaded bundle's catalogue and texts are used at once", async () => {
    const bundle = await loadBundle(BENCH_FLOWS);
    const before = toConfirmation(bundle).map((r) => r.outbound[0]?.text);
    expect(before[1]).toBe("Peanut caramel bar — how many?");
    expect(before[2]).toContain("Total: 1,908\u00a0₽");

    const edited = structuredClone(bundle);
    const peanut = edited.catalogue.products.find((p) => p.id === "bar_peanut")!;
    peanut.title.en = "Salted peanut bar";
    peanut.price = 200;
    edited.locales.en["bench.qty"] = "How many {{product.title}} ({{product.price}})?";
    const after = toConfirmation(edited);
    expect(after[0]!.outbound[0]!.choices!.find((c) => c.id === "bar_peanut")!.description).toMatch(/^200\u00a0₽/);
    expect(after[1]!.outbound[0]!.text).toBe("How many Salted peanut bar (200\u00a0₽)?");
    expect(after[2]!.outbound[0]!.text).toContain("Total: 2,400\u00a0₽");

    // and the old bundle still says what it said
    expect(toConfirmation(bundle).map((r) => r.outbound[0]?.text)).toEqual(before);
  });

  it("a step never changes the conversation, contact or orders it was given", async () => {
    const bundle = await loadBundle(BENCH_FLOWS);
    const [, , confirmation] = toConfirmation(bundle);
    const input = { conversation: confirmation!.conversation, contact: confirmation!.contact, orders: [] as Order[] };
    const snapshot = structuredClone(input);
    let n = 0;
    const placed = step({ bundle, event: message(3, { buttonId: "confirm" }), now: NOW + 3, ...input, referrer: null, newId: (p) => `${p}_3_${n++}`, links: () => "" });
    expect(placed.orders).toHaveLength(1);
    expect(input).toEqual(snapshot);
  });

  it("fills placeholders as before: paths, spaces, missing values, no placeholders", () => {
    const values: Record<string, unknown> = { a: { b: 2, n: null }, s: "x" };
    const resolve = (name: string) => values[name];
    expect(fill("{{ a.b }}-{{s}}-{{missing}}-{{a.n}}-{{s.length}}", resolve)).toBe("2-x---");
    expect(fill("no placeholders {{ }}", resolve)).toBe("no placeholders {{ }}");
    expect(fill("{{a}}", resolve)).toBe("[object Object]");
  });
});
