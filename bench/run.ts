import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { Store } from "../src/store/port.ts";
import { SqliteStore } from "../src/store/sqlite.ts";
import { startFakeTelegram } from "../test/fakes/telegram-api.ts";
import { startRedis } from "../test/support/redis-server.ts";
import { funnelPeriod, seedFunnel, timeFunnel, type FunnelTiming } from "./funnel.ts";
import { describeMachine } from "./machine.ts";
import { killOnExit, measure, ROOT, TARGET_IDS, TARGETS, type Measured, type TargetId } from "./measure.ts";
import { f0, formatMarkdown, formatRun, machineLines, type FunnelFigures, type Run } from "./report.ts";

/**
 * `npm run bench`: front desk end to end on the Telegram webhook (Redis store and
 * embedded store) against two baselines under the same load, then the funnel report
 * over a month of a busy shop. It only prints; nothing anywhere asserts on time.
 *
 *   npm run bench -- --customers 64 --seconds 10 --only frontdesk-redis,floor --skip-funnel --contacts 100000
 */
function parseCli() {
  const { values } = parseArgs({
    options: {
      customers: { type: "string", default: "64" },
      seconds: { type: "string", default: "10" },
      only: { type: "string" },
      "skip-funnel": { type: "boolean", default: false },
      contacts: { type: "string", default: "100000" },
      "as-shipped": { type: "boolean", default: false },
      "cpu-prof": { type: "boolean", default: false },
      "redis-detail": { type: "boolean", default: false },
      timeline: { type: "boolean", default: false },
      markdown: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    process.stdout.write(
      [
        "npm run bench -- [options]",
        "  --customers N     scripted customers at once (64)",
        "  --seconds S       measured seconds per target, after a warm-up of N conversations (10)",
        `  --only a,b        targets among ${TARGET_IDS.join(", ")} (all)`,
        "  --skip-funnel     skip the funnel report timing",
        "  --contacts N      contacts for the funnel, 10 touchpoints each (100000)",
        "  --as-shipped      run front desk as `npm start` does (src/main.ts), with the Telegram 30 msg/s cap",
        "  --cpu-prof        write V8 CPU profiles of the front desk targets to bench/profiles/<target>/",
        "  --redis-detail    list the Redis commands per customer message of each Redis target",
        "  --timeline        per second of each window: replies and the slowest one",
        "  --markdown        also write the figures as the README's performance section to bench/README-figures.md",
        "",
      ].join("\n"),
    );
    process.exit(0);
  }
  const positive = (name: string, v: string | undefined) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n <= 0) throw new Error(`--${name} must be a positive whole number, got "${v}"`);
    return n;
  };
  const only = values.only ? values.only.split(",").map((s) => s.trim()).filter(Boolean) : [...TARGET_IDS];
  for (const id of only) {
    if (!(TARGET_IDS as readonly string[]).includes(id)) throw new Error(`--only: unknown target "${id}" (${TARGET_IDS.join(", ")})`);
  }
  return {
    customers: positive("customers", values.customers),
    seconds: positive("seconds", values.seconds),
    only: only as TargetId[],
    skipFunnel: values["skip-funnel"] ?? false,
    contacts: positive("contacts", values.contacts),
    asShipped: values["as-shipped"] ?? false,
    cpuProf: values["cpu-prof"] ?? false,
    redisDetail: values["redis-detail"] ?? false,
    timeline: values.timeline ?? false,
    markdown: values.markdown ?? false,
  };
}

/** Seeds a fresh Redis and a fresh SQLite store with the same month and times the report on each. */
async function runFunnel(contacts: number): Promise<FunnelFigures> {
  const period = funnelPeriod();
  process.stdout.write(`funnel: seeding ${f0(contacts)} contacts, ${f0(contacts * 10)} touchpoints …`);

  let redisTiming: FunnelTiming | string;
  let connect: ((url: string) => Promise<Store>) | undefined;
  try {
    const { RedisStore } = await import("../src/store/redis.ts");
    connect = (url) => RedisStore.connect(url, { prefix: "bench" });
  } catch (err) {
    redisTiming = `redis store missing (${(err as Error).message.split("\n")[0]})`;
  }
  if (connect) {
    const redis = await startRedis({ appendonly: false });
    const forget = killOnExit(redis.kill);
    try {
      const store = await connect(redis.url);
      const seedMs = await seedFunnel(store, contacts, period);
      redisTiming = await timeFunnel(store, period, seedMs);
      await store.close();
    } finally {
      forget();
      await redis.stop();
    }
  }
  process.stdout.write(" Redis done …");

  const dir = mkdtempSync(join(tmpdir(), "frontdesk-bench-funnel-"));
  let sqlite: FunnelTiming;
  try {
    const store = SqliteStore.open(join(dir, "frontdesk.db"));
    sqlite = await timeFunnel(store, period, await seedFunnel(store, contacts, period));
    await store.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  process.stdout.write(" SQLite done\n");
  return { contacts, ...period, redis: redisTiming!, sqlite };
}

async function main(): Promise<void> {
  const cli = parseCli();
  const machine = describeMachine();
  const command = `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(" ")}` : ""}`;
  const loadBefore = loadavg()[0]!;
  process.stdout.write([
    "front desk benchmark",
    ...machineLines(machine),
    `command: ${command}`,
    "",
  ].join("\n"));

  const results: Measured[] = [];
  const fake = await startFakeTelegram({ record: false });
  try {
    let chatBase = 100_000_000;
    for (const id of cli.only) {
      process.stdout.write(`measuring ${TARGETS[id].label} …`);
      const t0 = Date.now();
      const r = await measure(id, cli, fake, chatBase);
      chatBase += 10_000_000;
      results.push(r);
      process.stdout.write(` ${f0(r.msgsPerSecond)} msgs/s, p99 ${r.p99Ms.toFixed(1)} ms (${((Date.now() - t0) / 1000).toFixed(1)} s)\n`);
    }
  } finally {
    await fake.close();
  }
  const funnel = cli.skipFunnel ? undefined : await runFunnel(cli.contacts);

  const run: Run = {
    machine,
    command,
    date: new Date().toISOString().slice(0, 10),
    customers: cli.customers,
    seconds: cli.seconds,
    asShipped: cli.asShipped,
    loadBefore,
    loadAfter: loadavg()[0]!,
    results,
    ...(funnel ? { funnel } : {}),
  };
  process.stdout.write(formatRun(run, cli));
  if (cli.markdown) {
    const file = join(ROOT, "bench/README-figures.md");
    writeFileSync(file, formatMarkdown(run));
    process.stdout.write(`wrote ${file}\n`);
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`bench failed: ${(err as Error)?.stack ?? String(err)}\n`);
    process.exit(1);
  },
);
