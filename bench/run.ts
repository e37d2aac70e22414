import { fork } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import type { Store } from "../src/store/port.ts";
import { startFakeTelegram } from "../test/fakes/telegram-api.ts";
import { startRedis } from "../test/support/redis-server.ts";
import { funnelPeriod, seedFunnel, timeFunnel, type FunnelTiming } from "./funnel.ts";
import { formatUnderstanding, understandingFigures } from "./understanding.ts";
import type { FromSqliteChild, ToSqliteChild } from "./funnel-sqlite.ts";
import { describeMachine } from "./machine.ts";
import { DEFAULT_TARGETS, killOnExit, measure, ROOT, TARGET_IDS, TARGETS, type Measured, type TargetId } from "./measure.ts";
import { formatReports, runReports, type ReportsFigures } from "./reports.ts";
import { f0, formatMarkdown, formatRun, machineLines, type FunnelFigures, type Run } from "./report.ts";

/**
 * `npm run bench`: front desk end to end on the Telegram webhook (Redis store and
 * embedded store) against two baselines under the same load, then the funnel report
 * over a month of a busy shop. It only prints; nothing anywhere asserts on time.
 *
 *   npm run bench -- --customers 64 --seconds 10 --only frontdesk-redis,floor --skip-funnel --contacts 100000
 */
class UsageError extends Error {}

function parseCli() {
  let parsed;
  try {
    parsed = parseArgs({
      options: {
        customers: { type: "string", default: "64" },
        seconds: { type: "string", default: "8" },
        warmup: { type: "string", default: "4" },
        rounds: { type: "string", default: "3" },
        only: { type: "string" },
        "skip-funnel": { type: "boolean", default: false },
        "skip-reports": { type: "boolean", default: false },
        "report-page": { type: "string", default: "sources" },
        "report-stores": { type: "string", default: "redis,sqlite" },
        before: { type: "string" },
        contacts: { type: "string", default: "100000" },
        "as-shipped": { type: "boolean", default: false },
        "cpu-prof": { type: "boolean", default: false },
        "redis-detail": { type: "boolean", default: false },
        timeline: { type: "boolean", default: false },
        markdown: { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const { values } = parsed;
  if (values.help) {
    process.stdout.write(
      [
        "npm run bench -- [options]",
        "  --customers N     scripted customers at once (64)",
        "  --seconds S       measured seconds per target and round (8)",
        "  --warmup S        warm-up before measuring: at least S seconds and N conversations (4)",
        "  --rounds R        measure every target R times, in rotating order; report each one's median round (3)",
        `  --only a,b        targets among ${TARGET_IDS.join(", ")}, reports (all); --only reports times the owner reports alone`,
        "  --skip-funnel     skip the funnel report timing",
        "  --skip-reports    skip the owner reports' timing (bench/reports.ts)",
        "  --report-page P   the report page timed in headless Chromium, or none (sources)",
        "  --report-stores S the stores the reports are timed on: redis, sqlite or both (redis,sqlite)",
        "  --before DIR      also measure the front desk checked out in DIR (e.g. `git worktree add /tmp/before <rev>`, with node_modules) in the same rounds, as before-redis/before-embedded",
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
    if (!Number.isInteger(n) || n <= 0) throw new UsageError(`--${name} must be a positive whole number, got "${v}"`);
    return n;
  };
  const nonNegative = (name: string, v: string | undefined) => {
    const n = Number(v);
    if (v === undefined || v.trim() === "" || !Number.isFinite(n) || n < 0) throw new UsageError(`--${name} must be a number of seconds >= 0, got "${v}"`);
    return n;
  };
  const listed = values.only
    ? values.only.split(",").map((s) => s.trim()).filter(Boolean)
    : [...DEFAULT_TARGETS, ...(values.before ? (["before-redis", "before-embedded"] as const) : []), "reports"];
  const reportsOnly = listed.length === 1 && listed[0] === "reports";
  const only = listed.filter((id) => id !== "reports");
  for (const id of only) {
    if (!(TARGET_IDS as readonly string[]).includes(id)) throw new UsageError(`--only: unknown target "${id}" (${TARGET_IDS.join(", ")})`);
  }
  return {
    customers: positive("customers", values.customers),
    seconds: positive("seconds", values.seconds),
    rounds: positive("rounds", values.rounds),
    warmup: nonNegative("warmup", values.warmup),
    only: only as TargetId[],
    skipFunnel: (values["skip-funnel"] ?? false) || reportsOnly,
    reports: listed.includes("reports") && !(values["skip-reports"] ?? false),
    reportPage: values["report-page"] === "none" ? undefined : values["report-page"],
    reportStores: (values["report-stores"] ?? "redis,sqlite").split(",").map((x) => x.trim()).filter((x): x is "redis" | "sqlite" => x === "redis" || x === "sqlite"),
    contacts: positive("contacts", values.contacts),
    asShipped: values["as-shipped"] ?? false,
    cpuProf: values["cpu-prof"] ?? false,
    ...(values.before ? { beforeDir: resolve(values.before) } : {}),
    redisDetail: values["redis-detail"] ?? false,
    timeline: values.timeline ?? false,
    markdown: values.markdown ?? false,
  };
}

/**
 * Seeds a fresh Redis and a fresh SQLite store with the same month (SQLite in a child
 * process, at the same time) and then times the report on each, one after the other.
 */
async function runFunnel(contacts: number): Promise<FunnelFigures> {
  const period = funnelPeriod();
  process.stdout.write(`funnel: seeding ${f0(contacts)} contacts, ${f0(contacts * 10)} touchpoints into Redis and SQLite …`);
  const dir = mkdtempSync(join(tmpdir(), "frontdesk-bench-funnel-"));
  const child = fork(join(ROOT, "bench/funnel-sqlite.ts"), [], { cwd: ROOT, execArgv: ["--import", "tsx"], stdio: ["ignore", "inherit", "inherit", "ipc"] });
  const forgetChild = killOnExit(() => {
    child.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  });
  const inbox: FromSqliteChild[] = [];
  let wake: (() => void) | undefined;
  child.on("message", (m: FromSqliteChild) => {
    inbox.push(m);
    wake?.();
  });
  child.on("exit", (code) => {
    if (code !== 0) inbox.push({ error: `the SQLite funnel process exited with ${code}` });
    wake?.();
  });
  const next = async (): Promise<FromSqliteChild> => {
    while (inbox.length === 0) await new Promise<void>((r) => (wake = r));
    const m = inbox.shift()!;
    if ("error" in m) throw new Error(m.error);
    return m;
  };
  const toChild: ToSqliteChild = { contacts, from: period.from, to: period.to, dir };
  child.send(toChild);

  try {
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
        await next(); // SQLite seeded too: time Redis with nothing else running
        redisTiming = await timeFunnel(store, period, seedMs);
        await store.close();
      } finally {
        forget();
        await redis.stop();
      }
    } else {
      await next();
    }
    child.send("time" satisfies ToSqliteChild);
    const sqlite = await next();
    if (!("timing" in sqlite)) throw new Error("the SQLite funnel process answered out of turn");
    process.stdout.write(" done\n");
    return { contacts, ...period, redis: redisTiming!, sqlite: sqlite.timing };
  } finally {
    // let it close the database and remove its temp dir; kill only one that hangs
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((r) => child.once("exit", () => r()));
      if (child.connected) child.disconnect();
      const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
      await exited;
      clearTimeout(timer);
    }
    forgetChild();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** the round with the median throughput, whole (its latency, CPU and RSS belong together), with every round's throughput */
function medianRound(measured: Measured[]): Measured {
  const sorted = [...measured].sort((a, b) => a.msgsPerSecond - b.msgsPerSecond);
  return { ...sorted[Math.floor((sorted.length - 1) / 2)]!, roundsMsgsPerSecond: measured.map((m) => m.msgsPerSecond) };
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

  // A shared virtual machine speeds up and slows down by tens of percent within
  // minutes: targets measured once each, one after the other, would compare different
  // machines. Rounds in rotating order spread the drift over every target.
  const rounds = new Map<TargetId, Measured[]>(cli.only.map((id) => [id, []]));
  const fake = await startFakeTelegram({ record: false });
  try {
    let chatBase = 100_000_000;
    for (let round = 0; round < cli.rounds; round++) {
      const order = cli.only.map((_, i) => cli.only[(i + round) % cli.only.length]!);
      for (const id of order) {
        process.stdout.write(`${cli.rounds > 1 ? `round ${round + 1}/${cli.rounds}: ` : ""}measuring ${TARGETS[id].label} …`);
        const t0 = Date.now();
        const r = await measure(id, cli, fake, chatBase);
        chatBase += 10_000_000;
        rounds.get(id)!.push(r);
        process.stdout.write(` ${f0(r.msgsPerSecond)} msgs/s, p99 ${r.p99Ms.toFixed(1)} ms (${((Date.now() - t0) / 1000).toFixed(1)} s)\n`);
      }
    }
  } finally {
    await fake.close();
  }
  const results = cli.only.map((id) => medianRound(rounds.get(id)!));
  const funnel = cli.skipFunnel ? undefined : await runFunnel(cli.contacts);
  const reports: ReportsFigures | undefined = cli.reports ? await runReports(cli.contacts, { stores: cli.reportStores, ...(cli.reportPage ? { page: cli.reportPage } : {}) }) : undefined;

  const run: Run = {
    machine,
    command,
    date: new Date().toISOString().slice(0, 10),
    customers: cli.customers,
    seconds: cli.seconds,
    rounds: cli.rounds,
    warmup: cli.warmup,
    asShipped: cli.asShipped,
    loadBefore,
    loadAfter: loadavg()[0]!,
    results,
    ...(funnel ? { funnel } : {}),
  };
  if (results.length > 0 || funnel) process.stdout.write(formatRun(run, cli));
  if (reports) process.stdout.write(`\n${formatReports(reports)}\n`);
  // the bot's understanding of customers' words, on the evaluation set
  if (results.length > 0) process.stdout.write(formatUnderstanding(await understandingFigures()));
  if (cli.markdown) {
    const file = join(ROOT, "bench/README-figures.md");
    writeFileSync(file, `${formatMarkdown(run)}${reports ? `\n${formatReports(reports)}` : ""}`);
    process.stdout.write(`wrote ${file}\n`);
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    if (err instanceof UsageError) {
      process.stderr.write(`${err.message}\nnpm run bench -- --help lists the options.\n`);
      process.exit(2);
    }
    process.stderr.write(`bench failed: ${(err as Error)?.stack ?? String(err)}\n`);
    process.exit(1);
  },
);
