import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "./ports.ts";
export { freePort };

/**
 * The service as an operator runs it: `node --import tsx src/main.ts` in a child
 * process, configured by environment only. Tests that crash it (SIGKILL), restart it or
 * run two of it against one Redis use this instead of the in-process harness.
 * Every process started here is tracked, so `stopAllServices()` in afterAll ends them
 * even when a test failed half-way.
 */

const ROOT = join(import.meta.dirname, "..", "..");

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ServiceProcess {
  /** http://127.0.0.1:<port> */
  base: string;
  port: number;
  proc: ChildProcess;
  /** stdout + stderr so far (the last 200 kB) */
  output(): string;
  exited: Promise<Exit>;
  alive(): boolean;
  /** SIGTERM and wait for the exit (SIGKILL and an error after `withinMs`) */
  stop(withinMs?: number): Promise<Exit>;
  /** SIGKILL: a crash, nothing flushed */
  kill(): Promise<Exit>;
}

export interface ServiceOptions {
  /** the variables that configure it; merged over a clean copy of the parent's environment */
  env: Record<string, string>;
  /** a free one when absent */
  port?: number;
  /** the checkout to run it from (default: this repository) */
  cwd?: string;
  /** how long /healthz and /readyz may take to answer 200 (default 30 s) */
  readyTimeoutMs?: number;
}

const running = new Set<ServiceProcess>();
const dirs: string[] = [];


/** a temp dir removed by stopAllServices() */
export function tempDir(prefix = "frontdesk-svc-"): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(d);
  return d;
}

/** The parent's environment minus anything that would switch a channel, the store or the port. */
function cleanEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v === undefined) continue;
    if (/^(TELEGRAM_|WHATSAPP_|VK_|MAX_|REDIS_URL|STAFF_API_TOKEN|PUBLIC_URL|FLOWS_DIR|WORKER_CONCURRENCY|PORT$|HOST$|DATA_DIR$|LOG_LEVEL$)/.test(k)) continue;
    // vitest's own markers would make a child think it runs under a test runner
    if (/^(VITEST|TEST$|NODE_ENV$)/.test(k)) continue;
    env[k] = v;
  }
  // a developer's own .env in the checkout must not configure the service under test
  env.ENV_FILE = "none";
  return env;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** GET a path; the status, or 0 when nothing answered within `timeoutMs` */
export async function statusOf(url: string, timeoutMs = 2_000): Promise<number> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    await res.arrayBuffer();
    return res.status;
  } catch {
    return 0;
  }
}

export async function startService(opts: ServiceOptions): Promise<ServiceProcess> {
  const port = opts.port ?? (await freePort());
  const env = { ...cleanEnv(), ...opts.env, PORT: String(port) };
  const proc = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], { cwd: opts.cwd ?? ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  const keep = (b: Buffer) => {
    out = (out + b.toString()).slice(-200_000);
  };
  proc.stdout!.on("data", keep);
  proc.stderr!.on("data", keep);
  let dead = false;
  const exited = new Promise<Exit>((resolve) =>
    proc.once("exit", (code, signal) => {
      dead = true;
      resolve({ code, signal });
    }),
  );
  const base = `http://127.0.0.1:${port}`;

  const svc: ServiceProcess = {
    base,
    port,
    proc,
    output: () => out,
    exited,
    alive: () => !dead,
    async stop(withinMs = 15_000) {
      if (dead) return exited;
      proc.kill("SIGTERM");
      const timer = setTimeout(() => proc.kill("SIGKILL"), withinMs);
      const exit = await exited;
      clearTimeout(timer);
      running.delete(svc);
      if (exit.signal === "SIGKILL") throw new Error(`still running ${withinMs} ms after SIGTERM:\n${out.slice(-4000)}`);
      return exit;
    },
    async kill() {
      if (!dead) proc.kill("SIGKILL");
      const exit = await exited;
      running.delete(svc);
      return exit;
    },
  };
  running.add(svc);

  const deadline = Date.now() + (opts.readyTimeoutMs ?? 30_000);
  for (const path of ["/healthz", "/readyz"]) {
    for (;;) {
      if (dead) throw new Error(`the service exited while starting:\n${out.slice(-4000)}`);
      if (Date.now() > deadline) {
        await svc.kill();
        throw new Error(`${path} not 200 in time:\n${out.slice(-4000)}`);
      }
      if ((await statusOf(base + path)) === 200) break;
      await sleep(100);
    }
  }
  return svc;
}

/** SIGKILL whatever is still running and remove the temp dirs (afterAll, also after a failure). */
export async function stopAllServices(): Promise<void> {
  await Promise.all([...running].map((s) => s.kill()));
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
}

/** The environment of one Telegram-only service on Redis (names from src/config.ts). */
export function telegramServiceEnv(opts: {
  redisUrl: string;
  apiRoot: string;
  dataDir: string;
  secret: string;
  staffToken: string;
  /** default 123:TEST; the fake Bot API accepts any and records it per call */
  botToken?: string;
}): Record<string, string> {
  return {
    HOST: "127.0.0.1",
    DATA_DIR: opts.dataDir,
    REDIS_URL: opts.redisUrl,
    LOG_LEVEL: "warn",
    TELEGRAM_BOT_TOKEN: opts.botToken ?? "123:TEST",
    TELEGRAM_WEBHOOK_SECRET: opts.secret,
    TELEGRAM_API_ROOT: opts.apiRoot,
    STAFF_API_TOKEN: opts.staffToken,
  };
}
