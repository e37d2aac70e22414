import { InvalidArgumentError, type Command } from "commander";
import { formatFunnel, funnelReport } from "../analytics/funnel.ts";
import { toCsv } from "../analytics/csv.ts";
import { tables } from "../analytics/tables.ts";
import { AUDIENCES, STAGE_TITLES, type Audience } from "../model/domain.ts";
import { fail } from "./common.ts";
import { DATE_HELP, parseRange } from "./dates.ts";
import { DATA_DIR_HELP, openCliStore } from "./store.ts";
import { registerReportTables } from "./report-tables.ts";

/** `frontdesk report …`: reports for the owner, read from the service's store. */
export function registerReportCommands(program: Command): void {
  const report = program.command("report").description("reports for the owner");

  report
    .command("funnel")
    .description("contacts per journey stage, conversion and median time between stages")
    .option("--from <date>", `start (${DATE_HELP}); default 30 days before --to`)
    .option("--to <date>", "end, exclusive; default now")
    .option("--audience <audience>", `only one audience (${AUDIENCES.join(", ")})`, audience)
    .option("--data-dir <dir>", DATA_DIR_HELP)
    .option("--json", "print JSON instead of a table")
    .option("--csv", "print the table as CSV (UTF-8 with BOM, ';')")
    .action(async (opts: { from?: string; to?: string; audience?: Audience; json?: boolean; csv?: boolean; dataDir?: string }) => {
      let range: { from: number; to: number };
      try {
        range = parseRange(opts.from, opts.to, 30 * 86_400_000);
      } catch (err) {
        fail((err as Error).message, 2);
      }
      const { store } = await openCliStore({ dataDir: opts.dataDir, mustExist: true });
      try {
        const r = await funnelReport(store, range.from, range.to, opts.audience);
        if (opts.csv) process.stdout.write(toCsv(tables.funnel({ ...r, previous: { from: range.from, to: range.from, rows: [], churned: 0 } })));
        else process.stdout.write(`${opts.json ? JSON.stringify(r, null, 2) : formatFunnel(r, STAGE_TITLES)}\n`);
      } finally {
        await store.close();
      }
    });

  registerReportTables(report);
}

function audience(v: string): Audience {
  if (!(AUDIENCES as readonly string[]).includes(v)) throw new InvalidArgumentError(`one of ${AUDIENCES.join(", ")}`);
  return v as Audience;
}
