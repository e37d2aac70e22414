import { existsSync, statSync } from "node:fs";
import { join, relative, isAbsolute } from "node:path";
import pino from "pino";
import type { Config } from "../config.ts";
import { openRedisLink } from "../store/redis-link.ts";
import type { Store } from "../store/port.ts";
import { openStore } from "../store/open.ts";
import { cliConfig, envFileRead, fail } from "./common.ts";

/**
 * The store a CLI command reads: `--data-dir` over DATA_DIR, REDIS_URL when set.
 * It says which one it read on stderr ("store: SQLite ./data (12 MB)") so a report of
 * zeros is never a mystery, and a report never creates an empty ./data by accident.
 */
export interface StoreChoice {
  kind: "sqlite" | "redis";
  /** what an owner recognises: the directory or the Redis address (no password) */
  where: string;
  /** the SQLite file (sqlite only) */
  file?: string;
  /** the Redis URL to connect with (redis only; may hold a password: never print it) */
  url?: string;
}

export function storeChoice(config: Pick<Config, "redisUrl" | "dataDir">): StoreChoice {
  if (config.redisUrl) return { kind: "redis", where: redactUrl(config.redisUrl), url: config.redisUrl };
  return { kind: "sqlite", where: shortPath(config.dataDir), file: join(config.dataDir, "frontdesk.db") };
}

/** the config with `--data-dir` applied */
export function configWithDataDir(dataDir?: string): Config {
  const c = cliConfig();
  return dataDir ? { ...c, dataDir } : c;
}

export const DATA_DIR_HELP = "the service's DATA_DIR (default: DATA_DIR or ./data); REDIS_URL, when set, wins";

/**
 * Open the store for a command that reads what the service wrote. With `mustExist`
 * (reports) a missing SQLite file ends the command with what to do instead of
 * creating an empty store and printing zeros.
 */
export async function openCliStore(opts: { dataDir?: string; mustExist: boolean }): Promise<{ store: Store; config: Config; choice: StoreChoice }> {
  const config = configWithDataDir(opts.dataDir);
  const choice = storeChoice(config);
  if (choice.kind === "sqlite" && opts.mustExist && !existsSync(choice.file!)) {
    fail(
      [
        `no shop data in ${choice.where} (${choice.file} does not exist), so there is nothing to report.`,
        "Run the command where the service keeps its data: pass --data-dir <the service's DATA_DIR>,",
        "or set REDIS_URL if the service runs on Redis. (`npx frontdesk demo` fills a store with a sample shop.)",
      ].join("\n"),
      66,
    );
  }
  let store: Store;
  try {
    store = await openStore(config);
  } catch (err) {
    fail(`store: ${choice.kind === "redis" ? "Redis" : "SQLite"} ${choice.where} could not be opened: ${(err as Error).message}`, 69);
  }
  const env = envFileRead();
  process.stderr.write(`store: ${await describeStore(choice)}${env.path ? ` · ${shortPath(env.path)} read` : ""}\n`);
  return { store, config, choice };
}

/** "SQLite ./data (12 MB)" or "Redis redis://127.0.0.1:6379 (1,234 keys, 3.1 MB)" */
export async function describeStore(choice: StoreChoice): Promise<string> {
  if (choice.kind === "sqlite") return `SQLite ${choice.where} (${formatBytes(sqliteBytes(choice.file!))})`;
  const size = await redisSize(choice.url!).catch(() => undefined);
  return `Redis ${choice.where}${size ? ` (${size.keys.toLocaleString("en-US")} keys, ${formatBytes(size.bytes)})` : ""}`;
}

/** the database file with its WAL (what a backup copies) */
export function sqliteBytes(file: string): number {
  let n = 0;
  for (const f of [file, `${file}-wal`]) if (existsSync(f)) n += statSync(f).size;
  return n;
}

/** keys and used memory of the Redis node REDIS_URL names; rejects after `timeoutMs` */
export async function redisSize(url: string, timeoutMs = 5_000): Promise<{ keys: number; bytes: number }> {
  const link = await withTimeout(openRedisLink(url, "fd", pino({ level: "silent" })), timeoutMs, "Redis did not answer");
  try {
    const keys = Number(await link.send(["DBSIZE"]));
    const info = String(await link.send(["INFO", "memory"]));
    const bytes = Number(/^used_memory:(\d+)/m.exec(info)?.[1] ?? 0);
    return { keys, bytes };
  } finally {
    link.destroy();
  }
}

export function withTimeout<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`${message} within ${ms / 1000} s`)), ms);
    t.unref();
    p.then(
      (v) => (clearTimeout(t), resolve(v)),
      (e: unknown) => (clearTimeout(t), reject(e)),
    );
  });
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${Math.round(n / 1024)} KB`;
  if (n < 1024 ** 3) return `${(n / 1024 / 1024).toFixed(n < 10 * 1024 * 1024 ? 1 : 0)} MB`;
  return `${(n / 1024 ** 3).toFixed(1)} GB`;
}

/** redis://:secret@host:6379 → redis://host:6379 (never print a password) */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = "";
    u.password = "";
    return u.toString().replace(/\/$/, "");
  } catch {
    return "(REDIS_URL)";
  }
}

/** ./data for a directory under the working one, the absolute path otherwise */
export function shortPath(p: string): string {
  const rel = relative(process.cwd(), p);
  if (rel === "") return ".";
  if (!rel.startsWith("..") && !isAbsolute(rel)) return `./${rel}`;
  return p;
}
