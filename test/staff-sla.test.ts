import { describe, expect, it } from "vitest";
import type { Touchpoint } from "../src/model/domain.ts";
import { HoursSchema } from "../src/staff/hours.ts";
import { handoffEpisodes, operatorSla } from "../src/staff/sla.ts";

const MIN = 60_000;
const msk = (d: number, h: number, min = 0) => Date.UTC(2026, 11, d, h - 3, min); // December 2026, Moscow
const hours = HoursSchema.parse({ timezone: "Europe/Moscow", week: { mon: ["09:00-20:00"], tue: ["09:00-20:00"], wed: ["09:00-20:00"], thu: ["09:00-20:00"], fri: ["09:00-20:00"] } });

let n = 0;
const tp = (at: number, kind: Touchpoint["kind"], data: Record<string, unknown>, key = "whatsapp:7916", contactId = "c1"): Touchpoint => ({
  id: `tp${++n}`,
  at,
  contactId,
  conversationKey: key,
  channel: "whatsapp",
  kind,
  flow: "customer",
  summary: kind,
  data,
});

describe("SLA figures from touchpoints, in working hours", () => {
  it("first response and resolution per chat: a Friday-evening handoff answered Monday morning took 12 working minutes", () => {
    const touchpoints = [
      tp(msk(4, 19, 55), "message_in", {}),
      tp(msk(4, 19, 55), "handoff", { queue: "sales", reason: "asked for a person" }),
      tp(msk(7, 9, 7), "message_out", { by: "Ольга", staff: true }),
      tp(msk(7, 9, 30), "message_out", { by: "Ольга", staff: true }),
      tp(msk(7, 9, 40), "handoff", { by: "Ольга", back: true, resolved: true }),
    ];
    const [ep] = handoffEpisodes(touchpoints, hours, msk(8, 12));
    expect(ep).toMatchObject({ queue: "sales", operator: "Ольга", answered: true, resolved: true, firstReplyAt: msk(7, 9, 7) });
    expect(ep!.firstResponseMs).toBe(12 * MIN); // 5 on Friday + 7 on Monday; the weekend does not count
    expect(ep!.resolutionMs).toBe(45 * MIN);
  });

  it("an open, unanswered handoff counts up to now; several chats and episodes; per operator", () => {
    const touchpoints = [
      tp(msk(7, 10), "handoff", { queue: "sales", reason: "x" }),
      tp(msk(7, 10, 2), "message_out", { by: "Ольга", staff: true }),
      tp(msk(7, 10, 10), "handoff", { by: "Ольга", back: true }),
      tp(msk(7, 11), "handoff", { queue: "care", reason: "low csat 2" }),
      tp(msk(7, 11, 1), "handoff", { by: "Игорь" }), // taken…
      tp(msk(7, 11, 9), "message_out", { by: "Игорь", staff: true }), // …answered late
      tp(msk(7, 12), "handoff", { queue: "sales", reason: "y" }, "telegram:5", "c1"),
    ];
    const eps = handoffEpisodes(touchpoints, hours, msk(7, 12, 20));
    expect(eps.map((e) => [e.conversationKey, e.operator, e.firstResponseMs / MIN, e.answered])).toEqual([
      ["whatsapp:7916", "Ольга", 2, true],
      ["whatsapp:7916", "Игорь", 9, true],
      ["telegram:5", undefined, 20, false],
    ]);
    const per = operatorSla(eps, 5);
    expect(per).toEqual([
      { operator: "", chats: 1, answered: 0, resolved: 0, medianFirstResponseMs: null, medianResolutionMs: null, breaches: 1 },
      { operator: "Игорь", chats: 1, answered: 1, resolved: 0, medianFirstResponseMs: 9 * MIN, medianResolutionMs: null, breaches: 1 },
      { operator: "Ольга", chats: 1, answered: 1, resolved: 0, medianFirstResponseMs: 2 * MIN, medianResolutionMs: 10 * MIN, breaches: 0 },
    ]);
  });

  it("without working hours every minute counts; unknown data is ignored", () => {
    const touchpoints = [tp(0, "handoff", { queue: "q" }), tp(1000, "note", { weird: [1] }), tp(3 * MIN, "message_out", { staff: true, by: 5 })];
    const [ep] = handoffEpisodes(touchpoints, undefined, 10 * MIN);
    expect(ep!.firstResponseMs).toBe(10 * MIN); // by: 5 is not a staff reply we can read
  });
});
