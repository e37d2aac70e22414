import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cohortsReport } from "../src/analytics/cohorts.ts";
import { dropoffReport } from "../src/analytics/dropoff.ts";
import { feedbackReport, weekOf } from "../src/analytics/feedback.ts";
import { funnelView } from "../src/analytics/funnel-view.ts";
import { riskReport } from "../src/analytics/risk.ts";
import { sourcesReport } from "../src/analytics/sources.ts";
import { staffReport } from "../src/analytics/staff.ts";
import { RedisStore } from "../src/store/redis.ts";
import type { Store } from "../src/store/port.ts";
import { STAFF_TOKEN, startHarness, type Harness } from "./support/harness.ts";
import { PERIOD, play } from "./support/journey-plans.ts";
import * as truth from "./support/journey-truth.ts";
import { DAY, Journeys, type Person } from "./support/journeys.ts";
import { startRedis, uniquePrefix, type RedisHandle } from "./support/redis-server.ts";

/**
 * Ground truth for every report, on both stores: 246 people (test/support/journey-plans.ts)
 * play three months through the webhooks; the expected numbers come from the script's
 * own notes (test/support/journey-truth.ts) and each report must equal them — computed
 * directly, over the API, and as CSV.
 */
const WHO = { audience: "customer" as const };

for (const kind of ["sqlite", "redis"] as const) {
  describe(`reports equal the script's own numbers (${kind})`, () => {
    let h: Harness;
    let redis: RedisHandle | undefined;
    let j: Journeys;
    let customers: Person[];
    const now = () => h.clock.now();

    beforeAll(async () => {
      let store: Store | undefined;
      if (kind === "redis") {
        redis = await startRedis();
        store = await RedisStore.connect(redis.url, { prefix: uniquePrefix() });
      }
      h = await startHarness(store ? { store } : {});
      j = new Journeys(h);
      await play(h, j, Number(process.env.TRUTH_CAST ?? 240));
      await j.until(PERIOD.to + DAY); // the owner reads the reports the day after
      customers = j.people.filter((p) => p.plan.audience === "customer");
    }, 600_000);

    afterAll(async () => {
      await h?.close();
      await redis?.stop();
    });

    it("the cast is what the script says: every channel, audience and all twelve stages", () => {
      expect(j.people.length).toBe(Number(process.env.TRUTH_CAST ?? 240) + 6);
      expect(new Set(j.people.map((p) => p.plan.channel)).size).toBe(4);
      const f = truth.funnel(customers, PERIOD);
      expect(f.rows.every((r) => r.reached > 0)).toBe(true);
      expect(f.churned).toBeGreaterThan(0);
    });

    it("funnel: per stage, conversion, median gap, churned; a channel alone; split by source; the previous period empty", async () => {
      const r = await funnelView(h.store, PERIOD, WHO, "source", now());
      const exp = truth.funnel(customers, PERIOD);
      expect(r.rows.map((x) => [x.stage, x.reached, x.medianMsFromPrevious])).toEqual(exp.rows.map((x) => [x.stage, x.reached, x.medianMsFromPrevious]));
      r.rows.forEach((x, i) => (exp.rows[i]!.conversion === null ? expect(x.conversion).toBeNull() : expect(x.conversion).toBeCloseTo(exp.rows[i]!.conversion!, 10)));
      expect(r.churned).toBe(exp.churned);
      expect(r.previous.rows.every((x) => x.reached === 0)).toBe(true);
      for (const slice of r.split!.slices) {
        const want = truth.funnel(customers.filter((p) => truth.group(p) === slice.key), PERIOD);
        expect(slice.rows.map((x) => x.reached), slice.key).toEqual(want.rows.map((x) => x.reached));
      }
      const tg = await funnelView(h.store, PERIOD, { ...WHO, channel: "telegram" }, undefined, now());
      expect(tg.rows.map((x) => x.reached)).toEqual(truth.funnel(customers.filter((p) => p.plan.channel === "telegram"), PERIOD).rows.map((x) => x.reached));
      const everyone = await funnelView(h.store, PERIOD, { audience: "all" }, undefined, now());
      expect(everyone.rows[0]!.reached).toBe(j.people.length);
    });

    it("sources: new contacts, conversion, first orders, revenue; friends' codes under referrals", async () => {
      const r = await sourcesReport(h.store, PERIOD, WHO);
      const exp = truth.sources(customers, PERIOD);
      const byName = (a: { source: string }, b: { source: string }) => (a.source < b.source ? -1 : 1);
      expect([...r.rows].sort(byName)).toEqual([...exp].sort(byName));
      expect(r.rows.map((x) => x.source).sort()).toEqual(["counter_qr", "direct", "gym_flyer", "referrals", "vk_ads"]);
    });

    it("drop-off: reached and stopped at each step the customers walk, worst first", async () => {
      const steps = ["customer.welcome", "customer.menu", "customer.catalogue", "customer.products", "customer.card"];
      const r = await dropoffReport(h.store, h.app.bundle(), PERIOD, "customer", now());
      const got = r.flows.flatMap((f) => f.steps).filter((s) => steps.includes(`${s.flow}.${s.step}`));
      const want = truth.dropoff(j.people, PERIOD, steps);
      expect(got.map((s) => ({ step: `${s.flow}.${s.step}`, reached: s.reached }))).toEqual(want.map((w) => ({ step: w.step, reached: w.reached })));
      for (const [i, w] of want.entries()) expect(got[i]!.stopped, w.step).toBe(w.stopped);
      expect(r.worst.map((s) => s.stopped)).toEqual([...r.worst.map((s) => s.stopped)].sort((a, b) => b - a));
    });

    it("voice of the customer: CSAT, NPS per week, open answers searchable, low scores and who handled them", async () => {
      const r = await feedbackReport(h.store, PERIOD, WHO);
      const exp = truth.feedback(customers, PERIOD);
      expect(r.csat).toEqual(exp.csat);
      expect({ ...r.nps, weeks: undefined }).toEqual({ ...exp.nps, weeks: undefined });
      const weeks = exp.npsWeeks(weekOf);
      for (const w of r.nps.weeks) expect(w, new Date(w.from).toISOString()).toEqual({ from: w.from, ...(weeks.get(w.from) ?? { count: 0, score: null }) });
      expect(r.answers.map((a) => a.text).sort()).toEqual([...exp.answers].sort());
      const found = await feedbackReport(h.store, PERIOD, WHO, "ДОСТАВКА");
      expect(found.answers.length).toBe(exp.answers.filter((a) => a.toLowerCase().includes("доставка")).length);
      expect(found.answers.length).toBeGreaterThan(0);
      expect(r.lowScores.map((l) => ({ at: l.at, score: l.score, handledBy: l.handledBy, firstReplyAt: l.firstReplyAt, resolvedAt: l.resolvedAt, outcome: l.outcome }))).toEqual(exp.low);
    });

    it("moments of truth and risk: good and bad in the period, who is at risk and why", async () => {
      const lapse = h.app.bundle().shop.lifecycle.lapseFactor;
      const r = await riskReport(h.store, PERIOD, WHO, lapse);
      const exp = truth.risk(customers, PERIOD, lapse);
      expect({ good: r.moments.good, bad: r.moments.bad }).toEqual({ good: exp.good, bad: exp.bad });
      const key = (a: { reason: string; balance: number }) => `${a.reason}:${a.balance}`;
      expect(r.atRisk.map(key).sort()).toEqual(exp.atRisk.map(key).sort());
      expect(r.atRisk.some((a) => a.reason === "bad_moment")).toBe(true);
    });

    it("retention: monthly cohorts by first order, repeat rate, churned", async () => {
      const r = await cohortsReport(h.store, PERIOD, WHO);
      const exp = truth.cohorts(customers, PERIOD);
      expect(r.cohorts).toEqual(exp.cohorts);
      expect({ customers: r.customers, repeatCustomers: r.repeatCustomers, repeatRate: r.repeatRate }).toEqual({ customers: exp.customers, repeatCustomers: exp.repeatCustomers, repeatRate: exp.repeatRate });
      expect(r.churned).toBe(customers.filter((p) => p.reached.churned !== undefined && p.reached.churned < PERIOD.to).length);
      expect(r.cohorts.length).toBeGreaterThanOrEqual(2);
    });

    it("staff: handed-off chats, first response and resolution per operator", async () => {
      const r = await staffReport(h.store, PERIOD, WHO);
      const exp = truth.staff(customers, PERIOD);
      expect({ cases: r.cases, unanswered: r.unanswered, unresolved: r.unresolved }).toEqual({ cases: exp.cases, unanswered: exp.unanswered, unresolved: exp.unresolved });
      expect(r.operators).toEqual(exp.operators);
    });

    it("the API answers the same numbers, and every CSV holds its JSON's table", async () => {
      const q = `from=${PERIOD.from}&to=${PERIOD.to}`;
      const direct = await sourcesReport(h.store, PERIOD, WHO);
      const api = await h.staff("GET", `/api/report/sources?${q}`);
      expect(api.status).toBe(200);
      expect(api.json).toEqual(direct);
      for (const name of ["funnel", "sources", "dropoff", "feedback", "at-risk", "cohorts", "staff"]) {
        const json = await h.staff("GET", `/api/report/${name}?${q}`);
        expect(json.status, name).toBe(200);
        const csv = await h.app.http.inject({ url: `/api/report/${name}?${q}&format=csv`, headers: { authorization: `Bearer ${STAFF_TOKEN}` } });
        expect(csv.headers["content-type"]).toContain("text/csv");
        expect(csv.body.startsWith("\uFEFF")).toBe(true);
        const { tables } = await import("../src/analytics/tables.ts");
        const { toCsv } = await import("../src/analytics/csv.ts");
        expect(csv.body, name).toBe(toCsv((tables as unknown as Record<string, (r: unknown) => Parameters<typeof toCsv>[0]>)[name]!(json.json)));
      }
    });
  });
}
