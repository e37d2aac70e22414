import type { Logger } from "pino";
import { createClient, createCluster } from "redis";

/**
 * The one connection the Redis store talks through: a plain client for a standalone
 * server, or a cluster client for a Redis Cluster — found out by asking the server
 * (`INFO cluster`), so REDIS_URL stays the only setting.
 *
 * On a cluster every key of one shop carries the hash tag of its prefix (`{fd}:…`),
 * so the whole shop lives in one slot and every command and script is routed there.
 * Why one slot and not one per conversation: a step's write is atomic across the
 * conversation, its contact (shared by the customer's channels) and the shop's own
 * indexes (dedupe, funnel log, queues); Redis runs a script only on keys of one slot,
 * so anything finer would split that write. One shop is bounded by the platforms'
 * rate limits (Telegram ~30 msg/s per bot) far below one Redis node; what a cluster
 * gives it is failover, and shops with different prefixes spread over the nodes.
 */
export interface RedisLink {
  readonly cluster: boolean;
  /** the key prefix to build every key from: `{prefix}` on a cluster */
  readonly prefix: string;
  send(args: string[], options?: SendOptions): Promise<unknown>;
  /** another connection to the same server or cluster, for blocking reads (live events) */
  duplicate(): Promise<RedisLink>;
  /** connected (fails /readyz fast while it is not) */
  ready(): boolean;
  close(): Promise<void>;
  destroy(): void;
}

type Client = ReturnType<typeof createClient>;
export type SendOptions = Parameters<Client["sendCommand"]>[1];

/** 50 ms, 100 ms, … up to 2 s between attempts, for as long as it takes */
const reconnectStrategy = (retries: number) => Math.min(50 * 2 ** Math.min(retries, 6), 2000);

/**
 * Answers that say the command was not run and will be later: a server still loading
 * its AOF after a restart, a cluster moving the slot or electing a master. Sending
 * again is safe (nothing was written) for a while; past that the caller hears it
 * (a webhook answers 5xx and the platform redelivers).
 */
const NOT_RUN_YET = /^(LOADING|TRYAGAIN|CLUSTERDOWN|MASTERDOWN)\b/;
const NOT_RUN_YET_PATIENCE_MS = 10_000;

export async function sendPatiently(send: () => Promise<unknown>): Promise<unknown> {
  const deadline = Date.now() + NOT_RUN_YET_PATIENCE_MS;
  for (let attempt = 0; ; attempt++) {
    try {
      return await send();
    } catch (err) {
      if (!(err instanceof Error) || !NOT_RUN_YET.test(err.message) || Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, Math.min(50 * 2 ** attempt, 500)));
    }
  }
}

/** a down server errors on every reconnect attempt: log the first, then the recovery */
function logOutages(on: (event: "error" | "ready", listener: (err?: unknown) => void) => void, log: Logger): void {
  let down = false;
  on("error", (err) => {
    if (down) return;
    down = true;
    log.error({ err }, "redis connection error; reconnecting with backoff");
  });
  on("ready", () => {
    if (!down) return;
    down = false;
    log.warn("redis connection restored");
  });
}

/** a prefix with a hash tag of its own, so all of its keys share one cluster slot */
export function clusterPrefix(prefix: string): string {
  return /\{[^}]+\}/.test(prefix) ? prefix : `{${prefix}}`;
}

export async function openRedisLink(url: string, prefix: string, log: Logger): Promise<RedisLink> {
  const client = createClient({ url, socket: { reconnectStrategy } });
  logOutages((event, listener) => client.on(event, listener), log);
  await client.connect();
  const info = String(await client.sendCommand(["INFO", "cluster"]));
  if (!/^cluster_enabled:1/m.test(info)) {
    return {
      cluster: false,
      prefix,
      send: (args, options) => sendPatiently(() => client.sendCommand(args, options)),
      duplicate: () => openRedisLink(url, prefix, log),
      ready: () => client.isReady,
      close: () => client.close(),
      destroy: () => client.destroy(),
    };
  }

  await client.close();
  const cluster = createCluster({ rootNodes: [{ url }], defaults: { socket: { reconnectStrategy } } });
  logOutages((event, listener) => cluster.on(event, listener), log);
  cluster.on("node-error", (err: unknown, node: unknown) => log.warn({ err, node }, "redis cluster node error"));
  await cluster.connect();
  const tagged = clusterPrefix(prefix);
  return {
    cluster: true,
    prefix: tagged,
    // every key of the shop hashes like the prefix itself: route by it
    send: (args, options) => sendPatiently(() => cluster.sendCommand(tagged, false, args, options)),
    duplicate: () => openRedisLink(url, prefix, log),
    ready: () => cluster.isOpen,
    close: () => cluster.close(),
    destroy: () => cluster.destroy(),
  };
}
