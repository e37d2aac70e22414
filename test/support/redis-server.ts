import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "./ports.ts";

/**
 * A redis-server of a test's own: on a free port, data in a temp dir, killed and
 * removed on stop(). With REDIS_URL set (and no option that needs a server of our
 * own) the shared server is used instead, and tests keep apart by key prefix.
 */
export interface RedisHandle {
  url: string;
  port: number;
  /** stop and remove the data dir (a shared server is left alone) */
  stop(): Promise<void>;
  /** stop (SIGTERM: the AOF is flushed) and start again on the same port and dir */
  restart(): Promise<void>;
  /** SIGKILL, no flush, no cleanup: a crash */
  kill(): void;
}

const REDIS_SERVER = process.env.REDIS_SERVER_BIN ?? "redis-server";

/** a key prefix no other test uses */
export function uniquePrefix(): string {
  return `t${randomBytes(6).toString("hex")}`;
}


/** one PING over a raw socket; true on +PONG */
function pingOnce(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = new Socket();
    let buf = "";
    const done = (ok: boolean) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(500, () => done(false));
    sock.once("error", () => done(false));
    sock.on("data", (d) => {
      buf += d.toString();
      if (buf.includes("\r\n")) done(buf.startsWith("+PONG"));
    });
    sock.connect(port, "127.0.0.1", () => sock.write("PING\r\n"));
  });
}

async function waitForPing(port: number, proc: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null || proc.signalCode !== null) {
      throw new Error(`redis-server exited (${proc.exitCode ?? proc.signalCode}): ${log()}`);
    }
    if (await pingOnce(port)) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`redis-server on ${port} did not answer PING: ${log()}`);
}

function exited(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => proc.once("exit", () => resolve()));
}

export async function startRedis(opts: { appendonly?: boolean; dir?: string } = {}): Promise<RedisHandle> {
  const shared = process.env.REDIS_URL;
  if (shared && opts.appendonly === undefined && opts.dir === undefined) {
    const port = Number(new URL(shared).port || 6379);
    const noServer = () => {
      throw new Error("REDIS_URL is shared: it cannot be restarted or killed by a test");
    };
    return { url: shared, port, stop: async () => {}, restart: async () => noServer(), kill: noServer };
  }

  const ownDir = opts.dir === undefined;
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), "frontdesk-redis-"));
  const port = await freePort();
  let output = "";
  let proc: ChildProcess;
  const orphan = () => proc.kill("SIGKILL");

  const launch = async () => {
    output = "";
    proc = spawn(
      REDIS_SERVER,
      [
        "--port", String(port),
        "--bind", "127.0.0.1",
        "--save", "",
        "--appendonly", opts.appendonly ? "yes" : "no",
        "--appendfsync", "everysec",
        "--dir", dir,
        "--daemonize", "no",
        "--protected-mode", "no",
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    const keep = (d: Buffer | string) => {
      output = (output + d.toString()).slice(-4000);
    };
    proc.stdout?.on("data", keep);
    proc.stderr?.on("data", keep);
    proc.on("error", (err) => keep(`\n${REDIS_SERVER}: ${err.message}`)); // e.g. not installed
    proc.on("exit", () => process.off("exit", orphan));
    process.on("exit", orphan); // a test process that dies takes its server along
    await waitForPing(port, proc, () => output);
  };

  const halt = async () => {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    proc.kill("SIGTERM"); // redis-server shuts down cleanly on SIGTERM, flushing the AOF
    const timer = setTimeout(() => proc.kill("SIGKILL"), 10_000);
    await exited(proc);
    clearTimeout(timer);
  };

  await launch();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    stop: async () => {
      await halt();
      if (ownDir) rmSync(dir, { recursive: true, force: true });
    },
    restart: async () => {
      await halt();
      await launch();
    },
    kill: () => {
      proc.kill("SIGKILL");
    },
  };
}
