import { describe, expect, it } from "vitest";
import { loadBundle } from "../src/engine/check.ts";
import { peopleLine } from "../src/staff/people-line.ts";
import { startHarness } from "./support/harness.ts";

// the default shop: Moscow, Mon–Fri 9–20, weekends 10–14 and 15–18
const MOSCOW = (iso: string) => Date.parse(`${iso}+03:00`);

describe("the web chat's line on whether people are there", () => {
  it("says people are here in working hours, and when they are back out of hours", async () => {
    const { shop } = await loadBundle("./flows");
    expect(peopleLine(shop.hours, MOSCOW("2026-12-07T11:00:00"))).toEqual({ ru: "на связи люди и бот", en: "people and the bot are here" });
    // Monday 2 a.m.: today at 9
    expect(peopleLine(shop.hours, MOSCOW("2026-12-07T02:00:00")).ru).toBe("бот отвечает сейчас, люди — сегодня в 9:00");
    // Friday night: Saturday at 10, tomorrow
    expect(peopleLine(shop.hours, MOSCOW("2026-12-11T21:30:00")).ru).toBe("бот отвечает сейчас, люди — завтра в 10:00");
    // the weekend break
    expect(peopleLine(shop.hours, MOSCOW("2026-12-12T14:20:00")).en).toBe("the bot answers now, people today at 15:00");
  });

  it("is written into the page, escaped, by the business clock", async () => {
    const h = await startHarness();
    try {
      h.clock.t = MOSCOW("2026-12-07T02:00:00");
      const page = await h.app.http.inject({ method: "GET", url: "/" });
      expect(page.body).toContain('data-people-ru="бот отвечает сейчас, люди — сегодня в 9:00"');
      h.clock.t = MOSCOW("2026-12-07T12:00:00");
      expect((await h.app.http.inject({ method: "GET", url: "/" })).body).toContain('data-people-ru="на связи люди и бот"');
    } finally {
      await h.close();
    }
  });
});
