import { performance } from "node:perf_hooks";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SqliteStore } from "../src/store/sqlite.ts";
import { RedisStore } from "../src/store/redis.ts";
import { startRedis } from "../test/support/redis-server.ts";
import { contactCommit, funnelPeriod } from "./funnel.ts";
import type { StepCommit } from "../src/store/port.ts";
const n = 10000; const period = funnelPeriod();
let s = 1; const rand = () => ((s = (s * 16807) % 2147483647) / 2147483647);
const commits: StepCommit[] = []; for (let i = 0; i < n; i++) commits.push(contactCommit(i, period, rand));
for (const kind of ["redis", "sqlite"]) {
  const redis = kind === "redis" ? await startRedis({ appendonly: false }) : undefined;
  const store = redis ? await RedisStore.connect(redis.url, { prefix: "b" }) : SqliteStore.open(join(mkdtempSync(join(tmpdir(), "fb-")), "x.db"));
  let a = 0, b = 0;
  const t0 = performance.now();
  const batches = [] as StepCommit[][]; for (let i = 0; i < n; i += 64) batches.push(commits.slice(i, i + 64));
  let next = 0;
  const lane = async () => { for (;;) { const cs = batches[next++]; if (!cs) return;
    await store.commitStep({ contacts: cs.flatMap((c) => c.contacts), touchpoints: cs.flatMap((c) => c.touchpoints), orders: cs.flatMap((c) => c.orders), outbox: [] });
    await Promise.all(cs.map((c) => store.commitStep({ conversation: c.conversation!, contacts: [], touchpoints: [], orders: [], outbox: [] }))); } };
  await Promise.all([lane(), lane(), lane(), lane()]);
  console.log(kind, "4 lanes total", (performance.now() - t0).toFixed(0));
  await store.close(); await redis?.stop(); continue;
  for (let i = 0; i < n; i += 64) {
    const cs = commits.slice(i, i + 64);
    let t = performance.now();
    await store.commitStep({ contacts: cs.flatMap((c) => c.contacts), touchpoints: cs.flatMap((c) => c.touchpoints), orders: cs.flatMap((c) => c.orders), outbox: [] });
    a += performance.now() - t; t = performance.now();
    await Promise.all(cs.map((c) => store.commitStep({ conversation: c.conversation!, contacts: [], touchpoints: [], orders: [], outbox: [] })));
    b += performance.now() - t;
  }
  console.log(kind, "batch commits", a.toFixed(0), "ms; conversation commits", b.toFixed(0), "ms");
  await store.close(); await redis?.stop();
}
process.exit(0);
