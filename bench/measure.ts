import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { createClient } from "redis";
import type { FakeTelegram } from "../test/fakes/telegram-api.ts";
import { startRedis, type RedisHandle } from "../test/support/redis-server.ts";
import { runLoad, type LoadResult } from "./load.ts";
import { cpuTimeMs, peakRssMiB } from "./machine.ts";
import { BOT_TOKEN, WEBHOOK_SECRET } from "./targets/common.ts";
import { freePort } from "../test/support/ports.ts";

/**
 * One target under load: its own process (so peak RSS and CPU time are its own), a
 * fresh redis-server when it uses Redis, the scripted customers of load.ts against its
 * webhook, then its peak RSS (VmHWM), CPU time per message in the measured window and
 * the Redis commands it caused per message.
 */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");

export interface MeasureOptions {
  customers: number;
  seconds: number;
  warmup: number;
  /** front desk as `npm start` runs it (src/main.ts, Telegram 30 msg/s cap kept) */
  asShipped: boolean;
  /** V8 CPU profiles of the front desk targets into bench/profiles/<target>/ */
  cpuProf: boolean;
  /** another checkout of front desk (e.g. a worktree of the previous release) for the before-* targets */
  beforeDir?: string;
}

export const TARGET_IDS = ["frontdesk-redis", "frontdesk-embedded", "grammy", "floor", "before-redis", "before-embedded"] as const;
/** what runs unless --only says otherwise; the before-* targets come with --before DIR */
export const DEFAULT_TARGETS: TargetId[] = ["frontdesk-redis", "frontdesk-embedded", "grammy", "floor"];
export type TargetId = (typeof TARGET_IDS)[number];

export const TARGETS: Record<TargetId, { label: string; script: string; redis: boolean; frontdesk: boolean; before?: boolean }> = {
  "frontdesk-redis": { label: "front desk (Redis)", script: "bench/targets/frontdesk.ts", redis: true, frontdesk: true },
  "frontdesk-embedded": { label: "front desk (embedded)", script: "bench/targets/frontdesk.ts", redis: false, frontdesk: true },
  grammy: { label: "grammY + conversations", script: "bench/targets/grammy-conversations.ts", redis: true, frontdesk: false },
  floor: { label: "floor (GET+SET+send)", script: "bench/targets/floor.ts", redis: true, frontdesk: false },
  // the same target script, run from the --before checkout with its own flows and code
  "before-redis": { label: "before (Redis)", script: "bench/targets/frontdesk.ts", redis: true, frontdesk: true, before: true },
  "before-embedded": { label: "before (embedded)", script: "bench/targets/frontdesk.ts", redis: false, frontdesk: true, before: true },
};

export interface Measured extends LoadResult {
  id: TargetId;
  peakRssMiB: number;
  /** the target's redis-server, for scale (not counted in the target's own) */
  redisPeakRssMiB?: number;
  /** Redis commands per customer message (commands run inside Lua scripts included), and scripts per message */
  redisPerMsg?: { commands: number; scripts: number; top: [string, number][] };
  /** CPU time per answered message inside the window: the target's process, and redis-server's */
  cpuMsPerMsg: { target: number; redis?: number; loadgen: number };
  /** with --rounds: this target's msgs/s in every round (the figures above are its median round's) */
  roundsMsgsPerSecond?: number[];
}

async function redisPid(url: string): Promise<number | undefined> {
  const client = createClient({ url });
  await client.connect();
  try {
    const m = /^process_id:(\d+)/m.exec(await client.info("server"));
    return m?.[1] ? Number(m[1]) : undefined;
  } finally {
    await client.quit();
  }
}

/** INFO commandstats → calls per command (our own INFO/PING/HELLO… left out) */
async function redisCommandCalls(url: string): Promise<Map<string, number>> {
  const client = createClient({ url });
  await client.connect();
  try {
    const info = await client.info("commandstats");
    const calls = new Map<string, number>();
    for (const m of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) {
      if (!/^(info|ping|hello|client|select|config|script|command)/.test(m[1]!)) calls.set(m[1]!, Number(m[2]));
    }
    return calls;
  } finally {
    await client.quit();
  }
}


/** The environment a target starts with: ours minus anything that would switch on another channel or store. */
function baseEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  const drop = /^(TELEGRAM_|WHATSAPP_|VK_|REDIS_URL$|PORT$|HOST$|DATA_DIR$|FLOWS_DIR$|LOG_LEVEL$|STAFF_API_TOKEN$|PUBLIC_URL$|WORKER_CONCURRENCY$|BENCH_)/;
  for (const [k, v] of Object.entries(process.env)) if (!drop.test(k)) env[k] = v;
  return env;
}

async function waitHealthy(port: number, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`target exited with ${child.exitCode}:\n${output()}`);
    try {
      const res = await fetch(`http://127.0.0.1:${port}/healthz`);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`target did not answer /healthz in 60 s:\n${output()}`);
}

/** Processes we started that must not outlive us, whatever way the bench ends. */
const live = new Set<() => void>();
process.on("exit", () => {
  for (const kill of live) kill();
});
// a signal would end us without "exit": turn it into an exit so the above runs
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.once(signal, () => process.exit(130));

/** run `kill` (synchronous) if the bench exits before the returned undo is called */
export function killOnExit(kill: () => void): () => void {
  live.add(kill);
  return () => live.delete(kill);
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
  await exited;
  clearTimeout(timer);
}

export async function measure(id: TargetId, cli: MeasureOptions, fake: FakeTelegram, chatBase: number): Promise<Measured> {
  const spec = TARGETS[id];
  if (spec.before && !cli.beforeDir) throw new Error(`${id} needs --before DIR (a checkout of the code to compare with)`);
  const root = spec.before ? cli.beforeDir! : ROOT;
  let redis: RedisHandle | undefined;
  let forgetRedis: (() => void) | undefined;
  const dataDir = mkdtempSync(join(tmpdir(), "frontdesk-bench-"));
  let child: ChildProcess | undefined;
  try {
    // a fresh redis-server per target, so each starts from an empty, unfragmented one
    if (spec.redis) redis = await startRedis({ appendonly: false });
    if (redis) forgetRedis = killOnExit(redis.kill);
    const port = await freePort();
    const env: NodeJS.ProcessEnv = {
      ...baseEnv(),
      PORT: String(port),
      HOST: "127.0.0.1",
      TELEGRAM_API_ROOT: fake.apiRoot,
      ...(redis ? { REDIS_URL: redis.url } : {}),
    };
    if (spec.frontdesk) {
      Object.assign(env, {
        DATA_DIR: dataDir,
        TELEGRAM_BOT_TOKEN: BOT_TOKEN,
        TELEGRAM_WEBHOOK_SECRET: WEBHOOK_SECRET,
        LOG_LEVEL: "warn",
        FLOWS_DIR: join(root, "bench/flows"),
      });
    }
    const script = spec.frontdesk && cli.asShipped ? "src/main.ts" : spec.script;
    const nodeArgs = ["--import", "tsx"];
    if (cli.cpuProf && spec.frontdesk) nodeArgs.push("--cpu-prof", `--cpu-prof-dir=${join(ROOT, "bench/profiles", id)}`);
    let output = "";
    child = spawn(process.execPath, [...nodeArgs, script], { cwd: root, env, stdio: ["ignore", "pipe", "pipe"] });
    const target = child;
    const forgetTarget = killOnExit(() => {
      target.kill("SIGKILL");
      rmSync(dataDir, { recursive: true, force: true });
    });
    target.once("exit", forgetTarget);
    const keep = (d: Buffer) => {
      output = (output + d.toString()).slice(-8000);
    };
    child.stdout?.on("data", keep);
    child.stderr?.on("data", keep);
    await waitHealthy(port, child, () => output);

    const pid = child.pid!;
    const rpid = redis ? await redisPid(redis.url) : undefined;
    const cpu = { target: 0, redis: 0, loadgen: 0 };
    const result = await runLoad({
      onWindow: (phase) => {
        const sign = phase === "start" ? -1 : 1;
        cpu.target += sign * cpuTimeMs(pid);
        if (rpid !== undefined) cpu.redis += sign * cpuTimeMs(rpid);
        const own = process.cpuUsage();
        cpu.loadgen += (sign * (own.user + own.system)) / 1000;
      },
      baseUrl: `http://127.0.0.1:${port}`,
      fake,
      customers: cli.customers,
      warmupConversations: cli.customers,
      warmupSeconds: cli.warmup,
      seconds: cli.seconds,
      chatBase,
    });
    const rss = peakRssMiB(pid);
    const redisRss = rpid !== undefined ? peakRssMiB(rpid) : undefined;
    await stopChild(child);
    let redisPerMsg: Measured["redisPerMsg"];
    if (redis && result.sent > 0) {
      const calls = await redisCommandCalls(redis.url);
      let commands = 0;
      for (const n of calls.values()) commands += n;
      const scripts = (calls.get("evalsha") ?? 0) + (calls.get("eval") ?? 0);
      const top = [...calls].sort((a, b) => b[1] - a[1]).slice(0, 12).map(([c, n]): [string, number] => [c, n / result.sent]);
      redisPerMsg = { commands: commands / result.sent, scripts: scripts / result.sent, top };
    }
    if (output.trim() !== "" && /"level":(40|50|60)/.test(output)) {
      // warnings and errors the target logged during the run: show the last ones
      process.stdout.write(`  ${spec.label} logged:\n${output.trim().split("\n").slice(-5).map((l) => `    ${l.slice(0, 300)}`).join("\n")}\n`);
    }
    const cpuMsPerMsg = {
      target: cpu.target / result.messages,
      ...(rpid !== undefined ? { redis: cpu.redis / result.messages } : {}),
      loadgen: cpu.loadgen / result.messages,
    };
    return {
      id,
      ...result,
      peakRssMiB: rss,
      ...(redisRss !== undefined ? { redisPeakRssMiB: redisRss } : {}),
      cpuMsPerMsg,
      ...(redisPerMsg ? { redisPerMsg } : {}),
    };
  } finally {
    if (child) await stopChild(child);
    forgetRedis?.();
    await redis?.stop();
    fake.reset();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
