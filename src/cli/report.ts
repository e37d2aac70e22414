import type { Command } from "commander";
import { InvalidArgumentError } from "commander";
import { cohortsReport } from "../analytics/cohorts.ts";
import { toCsv } from "../analytics/csv.ts";
import { dropoffReport } from "../analytics/dropoff.ts";
import { feedbackReport } from "../analytics/feedback.ts";
import { riskReport } from "../analytics/risk.ts";
import { sourcesReport } from "../analytics/sources.ts";
import { staffReport } from "../analytics/staff.ts";
import { tables, type Table } from "../analytics/tables.ts";
import { loadConfig } from "../config.ts";
import { loadBundle } from "../engine/check.ts";
import { periodOf, whoOf } from "../http/reports/period.ts";
import { ReportQuery } from "../http/reports/schemas.ts";
import { openStore } from "../store/open.ts";

/**
 * `npx frontdesk report <name> [--csv|--json]`: the owner's reports in the terminal,
 * the same computations and tables as /api/report/* (funnel keeps its own command in
 * main.ts). The first line (on stderr, so --csv and --json stay clean) says which
 * store was read.
 */
const NAMES = ["sources", "dropoff", "feedback", "at-risk", "cohorts", "staff"] as const;
type Name = (typeof NAMES)[number];

interface Opts {
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

export function registerReportCommands(report: Command): void {
  for (const name of NAMES) {
    report
      .command(name)
      .description(`the ${name} report (as GET /api/report/${name})`)
      .option("--from <date>", "start (ISO date or epoch ms)")
      .option("--to <date>", "end, exclusive (default now)")
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

async function run(name: Name, opts: Opts): Promise<void> {
  const parsed = ReportQuery.safeParse({
    ...(opts.from ? { from: opts.from } : {}),
    ...(opts.to ? { to: opts.to } : {}),
    ...(opts.from ? {} : { days: opts.days }),
    audience: opts.audience,
    ...(opts.channel ? { channel: opts.channel } : {}),
    ...(opts.source ? { source: opts.source } : {}),
  });
  if (!parsed.success) throw new InvalidArgumentError(parsed.error.issues.map((i) => `--${i.path.join(".")}: ${i.message}`).join("; "));
  const q = parsed.data;
  const period = periodOf(q, Date.now());
  const config = loadConfig();
  const store = await openStore(config);
  process.stderr.write(`${store.kind === "redis" ? "Redis (REDIS_URL)" : `embedded SQLite in ${config.dataDir}`}\n`);
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

