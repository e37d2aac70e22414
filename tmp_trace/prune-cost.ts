import { performance } from "node:perf_hooks";
import { RedisStore } from "../src/store/redis.ts";
import { SqliteStore } from "../src/store/sqlite.ts";
import type { Store } from "../src/store/port.ts";
import { makeCommit, makeOutboxItem } from "../test/store-fixtures.ts";
import { startRedis } from "../test/support/redis-server.ts";

const N = Number(process.argv[2] ?? 50000);
async function fill(store: Store) {
  const per = 100;
  for (let c = 0; c < N / per; c++) {
    const items = Array.from({ length: per }, (_, i) => makeOutboxItem({ channel: "telegram", chatId: `c${c}_${i % 10}`, seq: 1 + Math.floor(i / 10) }));
    await store.commitStep(makeCommit({ outbox: items }));
    await Promise.all(items.map((it, i) => store.markSent(it.id, [`${c}_${i}`], 1_000_000 + c * per + i)));
  }
}
async function prune(name: string, store: Store) {
  const cpu = async () => store instanceof RedisStore ? String(await (store as any).cmd(["INFO", "cpu"])).match(/used_cpu_(?:user|sys):([\d.]+)/g)!.map((x) => Number(x.split(":")[1])).reduce((a, b) => a + b, 0) : 0;
  const c0 = await cpu();
  const t0 = performance.now();
  await fill(store);
  if (store instanceof RedisStore) console.log("  redis cpu s for fill:", ((await cpu()) - c0).toFixed(2));
  const t1 = performance.now();
  if (store instanceof RedisStore) {
    const rs = store as any;
    const keys = String(await rs.cmd(["SCAN", "0", "MATCH", "pc:{c:*}:o:*", "COUNT", "1000"])).split(",").slice(1, 3);
    for (const k of ["pc:oall", "pc:ost:sent", "pc:oloc", "pc:opid", ...keys]) console.log("  ", k, await rs.cmd(["MEMORY", "USAGE", k]));
    console.log("  item", keys[0], await rs.cmd(["HGETALL", keys[0]]));
  }
  if (store instanceof RedisStore) console.log("  redis used_memory filled:", String(await (store as any).cmd(["INFO", "memory"])).match(/used_memory:(\d+)/)?.[1]);
  let total = 0, max = 0, batches = 0;
  for (;;) {
    const b0 = performance.now();
    const r = await store.pruneSent(1e15, 200);
    const d = performance.now() - b0;
    max = Math.max(max, d); batches++; total += r.deleted;
    if (r.done) break;
  }
  const t2 = performance.now();
  console.log(`${name}: filled ${N} sent items in ${((t1 - t0) / 1000).toFixed(1)} s; pruned ${total} in ${((t2 - t1) / 1000).toFixed(2)} s, ${batches} batches of 200, mean ${((t2 - t1) / batches).toFixed(1)} ms, max ${max.toFixed(1)} ms per batch`);
  console.log(`  left: ${(await store.listOutbox({})).length}`);
}
const server = await startRedis();
const r = await RedisStore.connect(server.url, { prefix: "pc" });
if (process.argv[3]) await (r as any).cmd(["CONFIG", "SET", "hash-max-listpack-value", process.argv[3]]);
await prune("redis", r);
const info = await (r as any).cmd(["INFO", "memory"]);
console.log("  redis used_memory after:", String(info).match(/used_memory:(\d+)/)?.[1]);
await r.close();
await server.stop();
const s = SqliteStore.open(`/tmp/prune-${process.pid}.db`);
await prune("sqlite", s);
await s.close();
