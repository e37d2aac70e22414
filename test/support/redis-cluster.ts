import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient } from "redis";
import { freePort } from "./ports.ts";

/**
 * A Redis Cluster of a test's own: `masters` redis-servers with the 16384 slots split
 * between them, each with `replicasPerMaster` replicas, on free ports, data in a temp
 * dir, all killed and removed on stop(). Built with CLUSTER ADDSLOTSRANGE / MEET /
 * REPLICATE, as `redis-cli --cluster create` would.
 */
export interface ClusterNode {
  port: number;
  id: string;
  role: "master" | "replica";
}

export interface RedisClusterHandle {
  /** redis://127.0.0.1:<first master> — any node would do as the seed */
  url: string;
  nodes: ClusterNode[];
  /** the node serving `key`'s slot as master now */
  masterOf(key: string): Promise<ClusterNode>;
  /** CLUSTER FAILOVER on a replica of `master`: a coordinated switch, nothing lost */
  failover(master: ClusterNode): Promise<ClusterNode>;
  stop(): Promise<void>;
}

const REDIS_SERVER = process.env.REDIS_SERVER_BIN ?? "redis-server";
const SLOTS = 16384;

type Client = ReturnType<typeof createClient>;

async function until(what: string, check: () => Promise<boolean>, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`redis cluster: ${what} not reached in ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function startRedisCluster(opts: { masters?: number; replicasPerMaster?: number } = {}): Promise<RedisClusterHandle> {
  const masters = opts.masters ?? 3;
  const perMaster = opts.replicasPerMaster ?? 0;
  const dir = mkdtempSync(join(tmpdir(), "frontdesk-cluster-"));
  const procs: ChildProcess[] = [];
  const clients: Client[] = [];
  const orphans = () => procs.forEach((p) => p.kill("SIGKILL"));
  process.on("exit", orphans);

  const stop = async () => {
    await Promise.all(clients.map((c) => c.close().catch(() => c.destroy())));
    await Promise.all(
      procs.map(
        (p) =>
          new Promise<void>((resolve) => {
            if (p.exitCode !== null || p.signalCode !== null) return resolve();
            p.once("exit", () => resolve());
            p.kill("SIGKILL");
          }),
      ),
    );
    process.off("exit", orphans);
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    const count = masters * (1 + perMaster);
    const ports: number[] = [];
    for (let i = 0; i < count; i++) ports.push(await freePort());
    for (const port of ports) {
      const proc = spawn(
        REDIS_SERVER,
        [
          "--port", String(port),
          "--bind", "127.0.0.1",
          "--cluster-enabled", "yes",
          "--cluster-config-file", join(dir, `nodes-${port}.conf`),
          "--cluster-node-timeout", "2000",
          "--save", "",
          "--appendonly", "no",
          "--dir", dir,
          "--protected-mode", "no",
        ],
        { stdio: "ignore" },
      );
      procs.push(proc);
    }
    for (const port of ports) {
      const c = createClient({ url: `redis://127.0.0.1:${port}`, socket: { reconnectStrategy: (n) => Math.min(50 * (n + 1), 500) } });
      c.on("error", () => {}); // a node still starting, or stopped by a test
      await c.connect();
      clients.push(c);
    }
    const ids = await Promise.all(clients.map(async (c) => String(await c.sendCommand(["CLUSTER", "MYID"]))));
    // slots in equal ranges over the masters
    for (let m = 0; m < masters; m++) {
      const from = Math.floor((m * SLOTS) / masters);
      const to = Math.floor(((m + 1) * SLOTS) / masters) - 1;
      await clients[m]!.sendCommand(["CLUSTER", "ADDSLOTSRANGE", String(from), String(to)]);
    }
    for (const port of ports.slice(1)) await clients[0]!.sendCommand(["CLUSTER", "MEET", "127.0.0.1", String(port)]);
    await until("every node knowing every other", async () => {
      const views = await Promise.all(clients.map(async (c) => String(await c.sendCommand(["CLUSTER", "NODES"]))));
      return views.every((v) => v.trim().split("\n").length === count && !/handshake|noaddr/.test(v));
    });
    const nodes: ClusterNode[] = ports.map((port, i) => ({ port, id: ids[i]!, role: i < masters ? "master" : "replica" }));
    for (let r = masters; r < count; r++) {
      await clients[r]!.sendCommand(["CLUSTER", "REPLICATE", ids[(r - masters) % masters]!]);
    }
    await until("cluster_state:ok on every node", async () => {
      const infos = await Promise.all(clients.map(async (c) => String(await c.sendCommand(["CLUSTER", "INFO"]))));
      return infos.every((i) => /cluster_state:ok/.test(i));
    });
    if (perMaster > 0) {
      await until("replicas in sync", async () => {
        const infos = await Promise.all(clients.slice(masters).map(async (c) => String(await c.sendCommand(["INFO", "replication"]))));
        return infos.every((i) => /master_link_status:up/.test(i));
      });
    }

    const clientOf = (node: ClusterNode) => clients[ports.indexOf(node.port)]!;
    const masterOf = async (key: string): Promise<ClusterNode> => {
      const slot = Number(await clients[0]!.sendCommand(["CLUSTER", "KEYSLOT", key]));
      const shards = (await clients[0]!.sendCommand(["CLUSTER", "SLOTS"])) as [number, number, [string, number, string]][];
      const owner = shards.find(([from, to]) => slot >= from && slot <= to);
      const node = owner && nodes.find((n) => n.port === Number(owner[2][1]));
      if (!node) throw new Error(`no master for slot ${slot}`);
      return node;
    };
    const failover = async (master: ClusterNode): Promise<ClusterNode> => {
      const replicaIds = String(await clientOf(master).sendCommand(["CLUSTER", "REPLICAS", master.id]))
        .split("\n")
        .filter(Boolean)
        .map((line) => line.split(" ")[0]);
      const replica = nodes.find((n) => replicaIds.includes(n.id));
      if (!replica) throw new Error(`master ${master.port} has no replica`);
      await clientOf(replica).sendCommand(["CLUSTER", "FAILOVER"]);
      await until("the replica promoted", async () => /role:master/.test(String(await clientOf(replica).sendCommand(["INFO", "replication"]))));
      replica.role = "master";
      master.role = "replica";
      return replica;
    };
    return { url: `redis://127.0.0.1:${ports[0]}`, nodes, masterOf, failover, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
