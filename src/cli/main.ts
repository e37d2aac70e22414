import { Command, InvalidArgumentError } from "commander";
import { z } from "zod";
import { formatFunnel, funnelReport } from "../analytics/funnel.ts";
import { ConfigError, loadConfig } from "../config.ts";
import { formatProblem, loadBundleUnchecked } from "../engine/bundle.ts";
import { checkBundle } from "../engine/check.ts";
import { CatalogueSchema, FlowSchema, ShopSchema } from "../engine/schema.ts";
import { AUDIENCES, STAGE_TITLES, type Audience } from "../model/domain.ts";
import { parseDate } from "../http/staff-api.ts";
import { openStore } from "../store/open.ts";
import { toCsv } from "../analytics/csv.ts";
import { tables } from "../analytics/tables.ts";
import { registerReportCommands } from "./report.ts";
import { registerDemoCommand } from "./demo.ts";
import { registerStaffCommands } from "./staff.ts";

/** `npx frontdesk <command>`: the owner's and operator's tools. */
const program = new Command("frontdesk").description("front desk: flows, reports and platform setup").showHelpAfterError();

function fail(message: string, code = 1): never {
  process.stderr.write(`${message}\n`);
  process.exit(code);
}

function config() {
  try {
    return loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) fail(err.message, 78);
    throw err;
  }
}

const flows = program.command("flows").description("the shop's flows, catalogue and texts in flows/");

flows
  .command("check")
  .description("validate flows, catalogue and texts; find dead ends, unreachable steps and missing translations")
  .option("-d, --dir <dir>", "flows directory", process.env.FLOWS_DIR ?? "./flows")
  .action(async (opts: { dir: string }) => {
    const { bundle, problems } = await loadBundleUnchecked(opts.dir);
    const all = bundle ? [...problems, ...checkBundle(bundle)] : problems;
    if (all.length > 0) fail(`${all.length} problem(s) in ${opts.dir}:\n${all.map(formatProblem).join("\n")}`);
    const steps = [...bundle!.flows.values()].reduce((n, f) => n + Object.keys(f.steps).length, 0);
    process.stdout.write(
      `OK: ${bundle!.flows.size} flows, ${steps} steps, ${bundle!.catalogue.products.length} products, texts in ${Object.keys(bundle!.locales).join(" and ")}\n`,
    );
  });

flows
  .command("schema")
  .description("print the JSON Schema of flow, catalogue and shop files (for editors)")
  .action(() => {
    const schema = {
      flow: z.toJSONSchema(FlowSchema, { io: "input" }),
      catalogue: z.toJSONSchema(CatalogueSchema, { io: "input" }),
      shop: z.toJSONSchema(ShopSchema, { io: "input" }),
    };
    process.stdout.write(`${JSON.stringify(schema, null, 2)}\n`);
  });

const report = program.command("report").description("reports for the owner");

function audience(v: string): Audience {
  if (!(AUDIENCES as readonly string[]).includes(v)) throw new InvalidArgumentError(`one of ${AUDIENCES.join(", ")}`);
  return v as Audience;
}

report
  .command("funnel")
  .description("contacts per journey stage, conversion and median time between stages")
  .option("--from <date>", "start (ISO date or epoch ms); default 30 days before --to")
  .option("--to <date>", "end, exclusive (ISO date or epoch ms); default now")
  .option("--audience <audience>", `only one audience (${AUDIENCES.join(", ")})`, audience)
  .option("--json", "print JSON instead of a table")
  .option("--csv", "print the table as CSV (UTF-8 with BOM, ';')")
  .action(async (opts: { from?: string; to?: string; audience?: Audience; json?: boolean; csv?: boolean }) => {
    let from: number;
    let to: number;
    try {
      to = parseDate(opts.to, Date.now());
      from = parseDate(opts.from, to - 30 * 86_400_000);
    } catch (err) {
      fail((err as Error).message, 2);
    }
    if (from >= to) fail("--from must be before --to", 2);
    const store = await openStore(config());
    try {
      const r = await funnelReport(store, from, to, opts.audience);
      process.stderr.write(`${store.kind === "redis" ? "Redis (REDIS_URL)" : "embedded SQLite (DATA_DIR)"}\n`);
      if (opts.csv) process.stdout.write(toCsv(tables.funnel({ ...r, previous: { from, to: from, rows: [], churned: 0 } })));
      else process.stdout.write(`${opts.json ? JSON.stringify(r, null, 2) : formatFunnel(r, STAGE_TITLES)}\n`);
    } finally {
      await store.close();
    }
  });

registerReportCommands(report);
registerDemoCommand(program);

const telegram = program.command("telegram").description("Telegram bot setup");
telegram
  .command("set-webhook")
  .description("register https://<your host>/webhooks/telegram with the secret and the update types the bot uses")
  .requiredOption("--url <url>", "public base URL of this service, e.g. https://shop.example.com")
  .action(async (opts: { url: string }) => {
    const c = config();
    if (!c.telegram) fail("set TELEGRAM_BOT_TOKEN (and TELEGRAM_WEBHOOK_SECRET) first", 78);
    if (!c.telegram.webhookSecret) fail("set TELEGRAM_WEBHOOK_SECRET: the webhook must carry a secret", 78);
    const { setTelegramWebhook } = await import("../../adapters/telegram/index.ts");
    const url = `${opts.url.replace(/\/+$/, "")}/webhooks/telegram`;
    await setTelegramWebhook(c.telegram, url);
    process.stdout.write(`webhook set: ${url}\n`);
  });

registerStaffCommands(program);

await program.parseAsync(process.argv);
