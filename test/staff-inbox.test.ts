import { describe, expect, it } from "vitest";
import type { Conversation, Touchpoint } from "../src/model/domain.ts";
import { rowOf, sortRows } from "../src/staff/inbox.ts";

/** What the inbox puts first, from the journey alone (no store, no clock). */
const T0 = Date.UTC(2026, 10, 2, 9, 0, 0);
const MIN = 60_000;

function conv(key: string, reason: string, since: number): Conversation {
  return {
    key, channel: "telegram", chatId: key.split(":")[1]!, contactId: `ct_${key}`, flow: "customer", step: null, awaiting: null, vars: {}, cart: [],
    handoff: { queue: "sales", reason, since }, timers: {}, lastInboundAt: since, hints: {}, outSeq: 0, createdAt: since, updatedAt: since,
  };
}
function tp(c: Conversation, kind: Touchpoint["kind"], at: number, summary: string, more: Partial<Touchpoint> = {}): Touchpoint {
  return { id: `tp${at}${kind}`, at, contactId: c.contactId, conversationKey: c.key, channel: "telegram", kind, summary, ...more };
}

describe("the inbox order", () => {
  it("puts a low score first, then asked for a person, then the bot not understanding, then out of hours, longest wait first within each", () => {
    const low = conv("telegram:1", "low csat 2", T0 + 30 * MIN);
    const person = conv("telegram:2", "asked for a person", T0 + 10 * MIN);
    const personEarlier = conv("telegram:3", "asked for a person", T0);
    const stalled = conv("telegram:4", "advice", T0);
    const night = conv("telegram:5", "advice", T0 - 600 * MIN);
    const rows = sortRows([
      rowOf(night, null, [tp(night, "message_in", night.handoff!.since, "есть кто?")], (at) => at < T0 - 60 * MIN),
      rowOf(stalled, null, [tp(stalled, "note", T0 - MIN, "not understood 2×", { data: { stalled: "customer.qty" } }), tp(stalled, "message_in", T0, "ну так")]),
      rowOf(person, null, [tp(person, "message_in", person.handoff!.since, "оператор")]),
      rowOf(low, null, [tp(low, "feedback", low.handoff!.since, "CSAT 2", { moment: "bad", data: { scale: "csat", score: 2 } })]),
      rowOf(personEarlier, null, [tp(personEarlier, "message_in", T0, "оператор")]),
    ]);
    expect(rows.map((r) => [r.key, r.priority])).toEqual([
      ["telegram:1", "low_score"],
      ["telegram:3", "person"],
      ["telegram:2", "person"],
      ["telegram:4", "stalled"],
      ["telegram:5", "out_of_hours"],
    ]);
    expect(rows[0]).toMatchObject({ badMoment: true, score: { scale: "CSAT", value: 2 } });
  });

  it("counts the wait from the first message staff have not answered, and shows the customer's last words", () => {
    const c = conv("telegram:9", "asked for a person", T0);
    const journey = [
      tp(c, "message_in", T0, "оператор"),
      tp(c, "message_out", T0 + 2 * MIN, "Здравствуйте!", { data: { staff: true, by: "anna" } }),
      tp(c, "message_in", T0 + 5 * MIN, "У меня вопрос по доставке"),
      tp(c, "message_in", T0 + 6 * MIN, "Вы тут?"),
    ];
    const row = rowOf(c, null, journey);
    expect(row.waitingSince).toBe(T0 + 5 * MIN);
    expect(row.last).toEqual({ text: "Вы тут?", from: "customer" });
    expect(rowOf(c, null, journey.slice(0, 2)).waitingSince).toBeNull();
  });
});
