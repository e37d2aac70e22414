import { performance } from "node:perf_hooks";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SqliteStore } from "../src/store/sqlite.ts";
import { RedisStore } from "../src/store/redis.ts";
import { computeFunnel } from "../src/analytics/funnel.ts";
import { startRedis } from "../test/support/redis-server.ts";
import { funnelPeriod, seedFunnel } from "./funnel.ts";
const n = Number(process.argv[2] ?? 10000);
const period = funnelPeriod();
for (const kind of ["redis", "sqlite"]) {
  const redis = kind === "redis" ? await startRedis({ appendonly: false }) : undefined;
  const store = redis ? await RedisStore.connect(redis.url, { prefix: "b" }) : SqliteStore.open(join(mkdtempSync(join(tmpdir(), "fb-")), "x.db"));
  const seed = await seedFunnel(store, n, period);
  for (let r = 0; r < 3; r++) {
    let t = performance.now();
    const entries = await store.stageEntries(period.from, period.to);
    const a = performance.now() - t; t = performance.now();
    computeFunnel(entries);
    const b = performance.now() - t; t = performance.now();
    await store.stepCounts({ idleSince: Math.min(period.to, Date.now()) - 86_400_000 });
    const c = performance.now() - t;
    console.log(kind, `seed ${(seed / 1000).toFixed(1)} s`, `entries ${entries.length} in ${a.toFixed(0)} ms, compute ${b.toFixed(0)} ms, stepCounts ${c.toFixed(0)} ms`);
  }
  await store.close();
  await redis?.stop();
}
process.exit(0);
