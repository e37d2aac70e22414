import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { addWorkingMs, describeOpening, HoursSchema, isOpen, nextOpening, workingMsBetween } from "../src/staff/hours.ts";

const MIN = 60_000;
const HOUR = 60 * MIN;
const hours = HoursSchema.parse({
  timezone: "Europe/Moscow",
  zoneLabel: { ru: "по московскому времени", en: "Moscow time" },
  week: {
    mon: ["09:00-20:00"],
    tue: ["09:00-20:00"],
    wed: ["09:00-20:00"],
    thu: ["09:00-20:00"],
    fri: ["09:00-20:00"],
    sat: ["10:00-14:00", "15:00-18:00"],
    sun: ["10:00-14:00", "15:00-18:00"],
  },
  holidays: ["01-01", { date: "2026-12-31", hours: ["10:00-15:00"] }],
});
/** Moscow is UTC+3 all year */
const msk = (y: number, m: number, d: number, h: number, min = 0) => Date.UTC(y, m - 1, d, h - 3, min);

describe("working hours", () => {
  it("knows open and closed, split shifts and holidays in the shop's time zone", () => {
    expect(isOpen(hours, msk(2026, 12, 7, 9, 0))).toBe(true); // Monday 9:00
    expect(isOpen(hours, msk(2026, 12, 7, 8, 59))).toBe(false);
    expect(isOpen(hours, msk(2026, 12, 7, 20, 0))).toBe(false); // end is exclusive
    expect(isOpen(hours, msk(2026, 12, 5, 14, 30))).toBe(false); // Saturday break
    expect(isOpen(hours, msk(2026, 12, 5, 15, 0))).toBe(true);
    expect(isOpen(hours, msk(2027, 1, 1, 12, 0))).toBe(false); // yearly holiday, a Friday
    expect(isOpen(hours, msk(2026, 12, 31, 16, 0))).toBe(false); // short day
    expect(isOpen(hours, msk(2026, 12, 31, 14, 0))).toBe(true);
    expect(isOpen(undefined, 0)).toBe(true);
  });

  it("says when it next opens: after the break, tomorrow, after a holiday", () => {
    expect(nextOpening(hours, msk(2026, 12, 5, 14, 10))).toBe(msk(2026, 12, 5, 15));
    expect(nextOpening(hours, msk(2026, 12, 6, 23))).toBe(msk(2026, 12, 7, 9));
    expect(nextOpening(hours, msk(2026, 12, 31, 15, 30))).toBe(msk(2027, 1, 2, 10)); // Jan 1 closed, Jan 2 is a Saturday
    expect(nextOpening(hours, msk(2026, 12, 7, 10))).toBe(msk(2026, 12, 7, 10)); // open: now
    const closed = HoursSchema.parse({ timezone: "Europe/Moscow", week: {} });
    expect(nextOpening(closed, 0)).toBeNull();
  });

  it("counts durations in working time only", () => {
    // Friday 19:50 → Saturday 10:05: 10 minutes on Friday, 5 on Saturday
    expect(workingMsBetween(hours, msk(2026, 12, 4, 19, 50), msk(2026, 12, 5, 10, 5))).toBe(15 * MIN);
    // across the Saturday break
    expect(workingMsBetween(hours, msk(2026, 12, 5, 13, 0), msk(2026, 12, 5, 16, 0))).toBe(2 * HOUR);
    expect(addWorkingMs(hours, msk(2026, 12, 4, 19, 58), 5 * MIN)).toBe(msk(2026, 12, 5, 10, 3));
    expect(workingMsBetween(undefined, 0, 1000)).toBe(1000);
  });

  it("describes the opening as the customer reads it", () => {
    const sunNight = msk(2026, 12, 6, 23);
    expect(describeOpening(hours, msk(2026, 12, 7, 9), sunNight, "ru")).toEqual({ when: "tomorrow", time: "9:00", date: "понедельник, 7 декабря", zone: "по московскому времени" });
    expect(describeOpening(hours, msk(2027, 1, 2, 10), msk(2026, 12, 31, 16), "en")).toMatchObject({ when: "later", time: "10:00", date: "Saturday 2 January" });
  });

  it("refuses hours that make no sense, naming the problem", () => {
    const bad = (week: Record<string, string[]>) => HoursSchema.safeParse({ timezone: "Europe/Moscow", week });
    expect(bad({ mon: ["20:00-09:00"] }).error?.issues[0]?.message).toMatch(/ends after it starts/);
    expect(bad({ mon: ["09:00-13:00", "12:00-18:00"] }).error?.issues[0]?.message).toMatch(/overlap/);
    expect(bad({ mon: ["25:00-26:00"] }).success).toBe(false);
    expect(bad({ funday: ["09:00-10:00"] }).success).toBe(false);
    expect(HoursSchema.safeParse({ timezone: "Mars/Olympus", week: {} }).success).toBe(false);
  });

  it("properties: working time is additive, never more than the span, and addWorkingMs inverts it", () => {
    const start = Date.UTC(2026, 0, 1);
    const instant = fc.integer({ min: start, max: start + 400 * 24 * HOUR });
    fc.assert(
      fc.property(instant, fc.integer({ min: 0, max: 10 * 24 * HOUR }), fc.integer({ min: 0, max: 10 * 24 * HOUR }), (a, d1, d2) => {
        const b = a + d1;
        const c = b + d2;
        const ab = workingMsBetween(hours, a, b);
        expect(ab).toBeLessThanOrEqual(d1);
        expect(ab + workingMsBetween(hours, b, c)).toBe(workingMsBetween(hours, a, c));
        const opens = nextOpening(hours, a)!;
        expect(isOpen(hours, opens)).toBe(true);
        expect(workingMsBetween(hours, a, opens)).toBe(0);
        if (ab > 0) expect(workingMsBetween(hours, a, addWorkingMs(hours, a, ab)!)).toBe(ab);
      }),
      { numRuns: 200 },
    );
  });

  it("a day on which the clocks change is as long as it really is (Europe/Berlin, 29 March 2026)", () => {
    const berlin = HoursSchema.parse({ timezone: "Europe/Berlin", week: { sun: ["00:00-24:00"], mon: ["09:00-10:00"] } });
    const sat = Date.UTC(2026, 2, 28, 12);
    expect(workingMsBetween(berlin, sat, Date.UTC(2026, 2, 30, 12))).toBe(23 * HOUR + HOUR);
    expect(nextOpening(berlin, Date.UTC(2026, 2, 29, 23))).toBe(Date.UTC(2026, 2, 30, 7)); // 9:00 CEST
  });
});
