import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium } from "./support/chromium.ts";
import { startHarness, type Harness } from "./support/harness.ts";
import { play } from "./support/journey-plans.ts";
import { DAY, Journeys } from "./support/journeys.ts";
import { addStaff, STAFF_PASSWORD } from "./support/staff.ts";

/**
 * The report pages in a real Chromium over a played three months (the demo's
 * journeys, a smaller cast): the owner signs in, every page draws its chart and shows
 * the API's numbers, every CSV equals its JSON's table; a viewer reads reports and is
 * refused acting on a chat; without a session nothing is shown. One context per person.
 */
/** with REPORT_SHOTS_DIR set: each report page at desktop and phone width, for a person to look at */
const SHOTS = process.env.REPORT_SHOTS_DIR;
const REPORTS = ["funnel", "sources", "dropoff", "feedback", "at-risk", "cohorts", "staff"];
let h: Harness;
let browser: Browser;
let base: string;

beforeAll(async () => {
  h = await startHarness();
  const j = new Journeys(h, Date.UTC(2025, 0, 6));
  await play(h, j, 24);
  await j.until(Date.UTC(2025, 0, 6) + 98 * DAY);
  await addStaff(h.store, "owner", "owner");
  await addStaff(h.store, "vera", "viewer");
  base = await h.app.listen();
  browser = await launchChromium();
}, 600_000);
afterAll(async () => {
  await browser?.close();
  await h?.close();
});

async function signIn(login: string): Promise<Page> {
  const page = await (await browser.newContext()).newPage();
  await page.goto(`${base}/staff/login`);
  await page.fill("input[name=login]", login);
  await page.fill("input[name=password]", STAFF_PASSWORD);
  await page.click("button.primary");
  await page.waitForURL(/\/staff\/?$/);
  return page;
}

describe("report pages in Chromium", () => {
  it("the owner sees every report with its chart, the API's numbers and a CSV equal to its JSON", async () => {
    const page = await signIn("owner");
    await page.click("text=Отчёты");
    await page.waitForSelector("canvas[data-drawn]");
    for (const name of REPORTS) {
      await page.goto(`${base}/staff/reports/${name}?days=90`);
      await page.waitForSelector("canvas[data-drawn]");
      if (SHOTS) {
        await page.screenshot({ path: `${SHOTS}/report-${name}-desktop.png`, fullPage: true });
        await page.setViewportSize({ width: 390, height: 844 });
        await page.waitForSelector("canvas[data-drawn]");
        await page.screenshot({ path: `${SHOTS}/report-${name}-phone.png`, fullPage: true });
        await page.setViewportSize({ width: 1280, height: 800 });
      }
      const cells = await page.$$eval("#main-table tbody tr", (rows) => rows.map((r) => [...r.querySelectorAll("td")].map((td) => td.textContent ?? "")));
      const csvHref = await page.getAttribute("a.csv", "href");
      const csv = await page.evaluate(async (u) => (await fetch(u!)).text(), csvHref);
      const lines = csv.replace(/^\uFEFF/, "").trim().split("\r\n").slice(1);
      // the page's table is the CSV's table (numbers printed the Russian way on both)
      const norm = (s: string) => s.replace(/\s/g, "").replace(/^—$/, "").replace(/^"|"$/g, "");
      // drop-off's page leaves out the steps nobody reached (the CSV keeps them)
      const fileRows = lines.filter((l) => name !== "dropoff" || l.split(";")[3] !== "0");
      expect(cells.length, name).toBe(fileRows.length);
      cells.forEach((row, i) => expect(row.map(norm), `${name} row ${i}`).toEqual(fileRows[i]!.split(";").map(norm)));
      // the CSV is the JSON's table
      const json = await page.evaluate(async (u) => (await fetch(u!.replace("format=csv", "format=json"))).json(), csvHref);
      const { tables } = await import("../src/analytics/tables.ts");
      const { toCsv } = await import("../src/analytics/csv.ts");
      expect(csv.replace(/^\uFEFF/, ""), name).toBe(toCsv((tables as unknown as Record<string, (r: unknown) => Parameters<typeof toCsv>[0]>)[name]!(json)).replace(/^\uFEFF/, ""));
    }
  });

  it("a viewer reads the reports and cannot act on a chat; without a session nothing is shown", async () => {
    const page = await signIn("vera");
    await page.goto(`${base}/staff/reports/feedback?days=90`);
    await page.waitForSelector("canvas[data-drawn]");
    const conv = (await h.store.listConversations({ limit: 1 }))[0]!;
    const status = await page.evaluate(async (key) => {
      const csrf = document.querySelector('meta[name="csrf-token"]')?.getAttribute("content") ?? "";
      const res = await fetch(`/api/conversations/${encodeURIComponent(key)}/take`, { method: "POST", headers: { "content-type": "application/json", "x-csrf-token": csrf }, body: "{}" });
      return res.status;
    }, conv.key);
    expect([401, 403]).toContain(status);
    const anon = await (await browser.newContext()).newPage();
    const res = await anon.goto(`${base}/staff/reports/funnel`);
    expect(anon.url()).toContain("/staff/login");
    expect(await anon.content()).not.toContain("chart-data");
    expect(res?.ok()).toBe(true);
    const api = await anon.evaluate(async () => (await fetch("/api/report/funnel")).status);
    expect(api).toBe(401);
  });
});
