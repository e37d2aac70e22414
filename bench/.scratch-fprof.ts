import { performance } from "node:perf_hooks";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Session } from "node:inspector/promises";
import { writeFileSync } from "node:fs";
import { SqliteStore } from "../src/store/sqlite.ts";
import { RedisStore } from "../src/store/redis.ts";
import { funnelReport, computeFunnel } from "../src/analytics/funnel.ts";
import { startRedis } from "../test/support/redis-server.ts";
import { funnelPeriod, seedFunnel } from "./funnel.ts";
const n = Number(process.argv[2] ?? 30000); const period = funnelPeriod();
for (const kind of ["redis", "sqlite"]) {
  const redis = kind === "redis" ? await startRedis({ appendonly: false }) : undefined;
  const store = redis ? await RedisStore.connect(redis.url, { prefix: "b" }) : SqliteStore.open(join(mkdtempSync(join(tmpdir(), "fb-")), "x.db"));
  await seedFunnel(store, n, period);
  for (let r = 0; r < 2; r++) {
    let t = performance.now(); const e = await store.stageEntries(period.from, period.to); const a = performance.now() - t;
    t = performance.now(); computeFunnel(e); const b = performance.now() - t;
    t = performance.now(); await store.stepCounts({ idleSince: period.to - 86400000 }); const c = performance.now() - t;
    console.log(kind, e.length, `stageEntries ${a.toFixed(0)} compute ${b.toFixed(0)} stepCounts ${c.toFixed(0)}`);
  }
  const session = new Session(); session.connect(); await session.post("Profiler.enable"); await session.post("Profiler.start");
  for (let r = 0; r < 3; r++) await funnelReport(store, period.from, period.to);
  const { profile } = await session.post("Profiler.stop"); writeFileSync(`/tmp/funnel-${kind}.cpuprofile`, JSON.stringify(profile));
  await store.close(); await redis?.stop();
}
process.exit(0);
