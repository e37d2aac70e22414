import type { Command } from "commander";
import { cohortsReport } from "../analytics/cohorts.ts";
import { toCsv } from "../analytics/csv.ts";
import { dropoffReport } from "../analytics/dropoff.ts";
import { feedbackReport } from "../analytics/feedback.ts";
import { riskReport } from "../analytics/risk.ts";
import { sourcesReport } from "../analytics/sources.ts";
import { staffReport } from "../analytics/staff.ts";
import { tables, type Table } from "../analytics/tables.ts";
import { loadBundle } from "../engine/check.ts";
import { periodOf, whoOf } from "../http/reports/period.ts";
import { ReportQuery } from "../http/reports/schemas.ts";
import { fail } from "./common.ts";
import { DATE_HELP, parseFriendlyDate } from "./dates.ts";
import { DATA_DIR_HELP, openCliStore } from "./store.ts";

/**
 * `npx frontdesk report <name> [--csv|--json]`: the owner's reports in the terminal,
 * the same computations and tables as /api/report/* (funnel has its own command in
 * report.ts). The first line (on stderr, so --csv and --json stay clean) says which
 * store was read.
 */
const NAMES = ["sources", "dropoff", "feedback", "at-risk", "cohorts", "staff"] as const;
type Name = (typeof NAMES)[number];

interface Opts {
  dataDir?: string;
  from?: string;
  to?: string;
  days?: string;
  audience?: string;
  channel?: string;
  source?: string;
  q?: string;
  csv?: boolean;
  json?: boolean;
}

function plain(t: Table): string {
  const cells = [t.columns, ...t.rows.map((r) => r.map((v) => (v === null ? "—" : String(v))))];
  const widths = t.columns.map((_, i) => Math.min(40, Math.max(...cells.map((r) => String(r[i] ?? "").length))));
  return cells.map((r) => r.map((v, i) => String(v ?? "").slice(0, 40).padEnd(widths[i]!)).join("  ").trimEnd()).join("\n");
}

export function registerReportTables(report: Command): void {
  for (const name of NAMES) {
    report
      .command(name)
      .description(`the ${name} report (as GET /api/report/${name})`)
      .option("--from <date>", `start (${DATE_HELP})`)
      .option("--to <date>", "end, exclusive (default now)")
      .option("--data-dir <dir>", DATA_DIR_HELP)
      .option("--days <n>", "7, 30 or 90 days before --to when --from is not given", "30")
      .option("--audience <audience>", "who counts (customer by default; all for everyone)", "customer")
      .option("--channel <channel>", "only contacts who came on this channel")
      .option("--source <source>", "only this source group (gym_flyer, referrals, direct…)")
      .option("--q <text>", "feedback: search the open answers")
      .option("--csv", "print the table as CSV (UTF-8 with BOM, ';')")
      .option("--json", "print the whole report as JSON")
      .action(async (opts: Opts) => run(name, opts));
  }
}

/** a friendly date (today, 7d, 2026-11-01…) as the epoch ms the API's query takes */
function epoch(flag: string, input: string): string {
  try {
    return String(parseFriendlyDate(input));
  } catch (err) {
    fail(`--${flag}: ${(err as Error).message}`, 2);
  }
}

async function run(name: Name, opts: Opts): Promise<void> {
  const parsed = ReportQuery.safeParse({
    ...(opts.from ? { from: epoch("from", opts.from) } : {}),
    ...(opts.to ? { to: epoch("to", opts.to) } : {}),
    ...(opts.from ? {} : { days: opts.days }),
    audience: opts.audience,
    ...(opts.channel ? { channel: opts.channel } : {}),
    ...(opts.source ? { source: opts.source } : {}),
  });
  if (!parsed.success) fail(parsed.error.issues.map((i) => `--${i.path.join(".")}: ${i.message}`).join("; "), 2);
  const q = parsed.data;
  const period = periodOf(q, Date.now());
  const { store, config } = await openCliStore({ dataDir: opts.dataDir, mustExist: true });
  try {
    const who = whoOf(q);
    const now = Date.now();
    const compute: Record<Name, () => Promise<{ report: unknown; table: Table }>> = {
      sources: async () => wrap(await sourcesReport(store, period, who), tables.sources),
      dropoff: async () => wrap(await dropoffReport(store, await loadBundle(config.flowsDir), period, q.audience, now), tables.dropoff),
      feedback: async () => wrap(await feedbackReport(store, period, who, opts.q), tables.feedback),
      "at-risk": async () => wrap(await riskReport(store, period, who, (await loadBundle(config.flowsDir)).shop.lifecycle.lapseFactor), tables["at-risk"]),
      cohorts: async () => wrap(await cohortsReport(store, period, who), tables.cohorts),
      staff: async () => wrap(await staffReport(store, period, who), tables.staff),
    };
    const { report, table } = await compute[name]();
    const day = (t: number) => new Date(t).toISOString().slice(0, 10);
    if (opts.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    else if (opts.csv) process.stdout.write(toCsv(table));
    else process.stdout.write(`${name} ${day(period.from)} — ${day(period.to)}\n\n${table.rows.length ? plain(table) : "нет данных за этот период"}\n`);
  } finally {
    await store.close();
  }
}

function wrap<R>(report: R, table: (r: R) => Table): { report: R; table: Table } {
  return { report, table: table(report) };
}

