import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { cohortsReport } from "../src/analytics/cohorts.ts";
import { dropoffReport } from "../src/analytics/dropoff.ts";
import { feedbackReport } from "../src/analytics/feedback.ts";
import { funnelView } from "../src/analytics/funnel-view.ts";
import { riskReport } from "../src/analytics/risk.ts";
import { sourcesReport } from "../src/analytics/sources.ts";
import { staffReport } from "../src/analytics/staff.ts";
import { loadBundle } from "../src/engine/check.ts";
import type { Store } from "../src/store/port.ts";
import { SqliteStore } from "../src/store/sqlite.ts";
import { startRedis } from "../test/support/redis-server.ts";
import { funnelPeriod, type FunnelPeriod } from "./funnel.ts";
import { killOnExit, ROOT } from "./measure.ts";
import { seedReports } from "./reports-seed.ts";

/**
 * Every owner report's data function (what /api/report/<name> computes) over the
 * reports' shop (bench/reports-seed.ts: 100,000 contacts, 1,000,000 touchpoints),
 * on Redis and on the embedded store, median of `runs`; then one report page in
 * headless Chromium (Debian's /usr/bin/chromium) until its chart is drawn.
 * Prints only; nothing asserts on time.
 */
export const REPORT_TARGET_MS = 300;
export const REPORT_NAMES = ["funnel", "sources", "dropoff", "feedback", "at-risk", "cohorts", "staff"] as const;
export type ReportName = (typeof REPORT_NAMES)[number];

export interface ReportTiming {
  medianMs: number;
  minMs: number;
  /** the first run: the reads' cache (src/store/report-cache.ts) filled from nothing */
  firstMs: number;
  /** a number from the report, to see it read the data (rows, cases, contacts…) */
  size: number;
}

export interface StoreReportFigures {
  seedMs: number;
  reports: Record<ReportName, ReportTiming>;
  /** GET /staff/reports/<page> in Chromium until canvas[data-drawn], median */
  page?: { name: string; medianMs: number; runsMs: number[] } | string;
}

export interface ReportsFigures {
  contacts: number;
  touchpoints: number;
  from: number;
  to: number;
  runs: number;
  redis: StoreReportFigures | string;
  sqlite: StoreReportFigures | string;
}

const WHO = { audience: "customer" as const };

async function timeReports(store: Store, period: FunnelPeriod, runs: number): Promise<Record<ReportName, ReportTiming>> {
  const bundle = await loadBundle(join(ROOT, "flows"));
  const now = Date.now();
  const p = { from: period.from, to: period.to };
  const fns: Record<ReportName, () => Promise<number>> = {
    funnel: async () => (await funnelView(store, p, WHO, undefined, now)).rows[0]!.reached,
    sources: async () => (await sourcesReport(store, p, WHO)).total.contacts,
    dropoff: async () => (await dropoffReport(store, bundle, p, "customer", now)).worst.length,
    feedback: async () => (await feedbackReport(store, p, WHO)).csat.count,
    "at-risk": async () => (await riskReport(store, p, WHO, bundle.shop.lifecycle.lapseFactor)).atRisk.length,
    cohorts: async () => (await cohortsReport(store, p, WHO)).customers,
    staff: async () => (await staffReport(store, p, WHO)).cases,
  };
  const out = {} as Record<ReportName, ReportTiming>;
  for (const name of REPORT_NAMES) {
    const ms: number[] = [];
    let size = 0;
    for (let r = 0; r < runs; r++) {
      const t0 = performance.now();
      size = await fns[name]();
      ms.push(performance.now() - t0);
    }
    const firstMs = ms[0]!;
    ms.sort((a, b) => a - b);
    out[name] = { medianMs: ms[ms.length >> 1]!, minMs: ms[0]!, firstMs, size };
    process.stdout.write(` ${name} ${ms[ms.length >> 1]!.toFixed(0)} ms;`);
  }
  return out;
}

/** the owner opens one report page on the big shop: time from navigation until its chart is drawn */
async function timePage(store: Store, name: string, runs: number): Promise<{ name: string; medianMs: number; runsMs: number[] } | string> {
  let launchChromium;
  try {
    ({ launchChromium } = await import("../test/support/chromium.ts"));
  } catch (err) {
    return `no chromium driver (${(err as Error).message.split("\n")[0]})`;
  }
  const { startHarness } = await import("../test/support/harness.ts");
  const { addStaff, STAFF_PASSWORD } = await import("../test/support/staff.ts");
  const h = await startHarness({ store });
  try {
    await addStaff(store, "bench_owner", "owner");
    const base = await h.app.listen();
    const browser = await launchChromium();
    try {
      const page = await (await browser.newContext()).newPage();
      page.setDefaultTimeout(120_000);
      await page.goto(`${base}/staff/login`);
      await page.fill("input[name=login]", "bench_owner");
      await page.fill("input[name=password]", STAFF_PASSWORD);
      await page.click("button.primary");
      await page.waitForURL(/\/staff\/?$/);
      // the harness's clock is not the wall clock: ask for the seeded month by dates
      const day = (t: number) => new Date(t).toISOString().slice(0, 10);
      const [from, to] = [day(funnelPeriod().from), day(funnelPeriod().to)];
      const runsMs: number[] = [];
      for (let r = 0; r < runs; r++) {
        const t0 = performance.now();
        await page.goto(`${base}/staff/reports/${name}?from=${from}&to=${to}`, { timeout: 120_000 });
        await page.waitForSelector("canvas[data-drawn]", { timeout: 120_000 });
        runsMs.push(performance.now() - t0);
      }
      const sorted = [...runsMs].sort((a, b) => a - b);
      return { name, medianMs: sorted[sorted.length >> 1]!, runsMs };
    } finally {
      await browser.close();
    }
  } catch (err) {
    return `page timing failed: ${(err as Error).message.split("\n")[0]}`;
  } finally {
    await h.close();
  }
}

async function onStore(label: string, open: () => Promise<{ store: Store; done: () => Promise<void> }>, contacts: number, period: FunnelPeriod, runs: number, page: string | undefined) {
  const { store, done } = await open();
  try {
    process.stdout.write(`reports (${label}): seeding …`);
    const seedMs = await seedReports(store, contacts, period);
    process.stdout.write(` ${(seedMs / 1000).toFixed(1)} s;`);
    const reports = await timeReports(store, period, runs);
    const figures: StoreReportFigures = { seedMs, reports };
    if (page) {
      figures.page = await timePage(store, page, 3);
      process.stdout.write(typeof figures.page === "string" ? ` ${figures.page}` : ` page ${page} ${figures.page.medianMs.toFixed(0)} ms`);
    }
    process.stdout.write("\n");
    return figures;
  } catch (err) {
    process.stdout.write(` failed\n`);
    return `failed: ${(err as Error).message.split("\n")[0]}`;
  } finally {
    await done();
  }
}

export async function runReports(contacts: number, opts: { runs?: number; page?: string; stores?: ("redis" | "sqlite")[] } = {}): Promise<ReportsFigures> {
  const period = funnelPeriod();
  const runs = opts.runs ?? 5;
  const stores = opts.stores ?? ["redis", "sqlite"];
  const redis = stores.includes("redis")
    ? await onStore(
        "Redis",
        async () => {
          const { RedisStore } = await import("../src/store/redis.ts");
          const server = await startRedis({ appendonly: false });
          const forget = killOnExit(server.kill);
          const store = await RedisStore.connect(server.url, { prefix: "benchr" });
          return {
            store,
            done: async () => {
              await store.close().catch(() => {});
              forget();
              await server.stop();
            },
          };
        },
        contacts,
        period,
        runs,
        opts.page,
      )
    : "not run";
  const sqlite = stores.includes("sqlite")
    ? await onStore(
        "embedded",
        async () => {
          const dir = mkdtempSync(join(tmpdir(), "frontdesk-bench-reports-"));
          const forget = killOnExit(() => rmSync(dir, { recursive: true, force: true }));
          const store = SqliteStore.open(join(dir, "frontdesk.db"));
          return {
            store,
            done: async () => {
              await store.close().catch(() => {});
              forget();
              rmSync(dir, { recursive: true, force: true });
            },
          };
        },
        contacts,
        period,
        runs,
        opts.page,
      )
    : "not run";
  return { contacts, touchpoints: contacts * 10, ...period, runs, redis, sqlite };
}

const ms = (t: ReportTiming | undefined) => (t ? `${Math.round(t.medianMs).toLocaleString("en-US")} ms (first ${Math.round(t.firstMs).toLocaleString("en-US")})` : "—");
const mark = (t: ReportTiming | undefined) => (t === undefined ? "" : t.medianMs < REPORT_TARGET_MS ? "PASS" : "MISS");

/** the table, for the terminal and the README alike (markdown) */
export function formatReports(f: ReportsFigures): string {
  const day = (t: number) => new Date(t).toISOString().slice(0, 10);
  const r = typeof f.redis === "string" ? undefined : f.redis;
  const s = typeof f.sqlite === "string" ? undefined : f.sqlite;
  const lines = [
    `Owner reports over ${f.touchpoints.toLocaleString("en-US")} touchpoints from ${f.contacts.toLocaleString("en-US")} contacts (${day(f.from)} – ${day(f.to)}), each report's data function (as /api/report/<name> computes it), median of ${f.runs} runs:`,
    "",
    `| report | Redis | | embedded | | target |`,
    `|---|--:|---|--:|---|--:|`,
    ...REPORT_NAMES.map((n) => `| ${n} | ${ms(r?.reports[n])} | ${mark(r?.reports[n])} | ${ms(s?.reports[n])} | ${mark(s?.reports[n])} | < ${REPORT_TARGET_MS} ms |`),
    "",
  ];
  if (typeof f.redis === "string") lines.push(`- Redis: ${f.redis}`);
  if (typeof f.sqlite === "string") lines.push(`- embedded: ${f.sqlite}`);
  if (r || s)
    lines.push(
      `- Seeding (commitStep in batches of 250 contacts, not timed against anything): ${[r ? `Redis ${(r.seedMs / 1000).toFixed(1)} s` : "", s ? `embedded ${(s.seedMs / 1000).toFixed(1)} s` : ""].filter(Boolean).join(", ")}.`,
    );
  for (const [label, x] of [["Redis", r], ["embedded", s]] as const) {
    if (!x?.page) continue;
    lines.push(
      typeof x.page === "string"
        ? `- Page (${label}): ${x.page}`
        : `- Page /staff/reports/${x.page.name} in headless Chromium (${label}), navigation until the chart is drawn: ${Math.round(x.page.medianMs).toLocaleString("en-US")} ms median of ${x.page.runsMs.length} (target < 1,000 ms).`,
    );
  }
  return `${lines.join("\n")}\n`;
}
