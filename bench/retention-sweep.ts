import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { performance } from "node:perf_hooks";
import { RETENTION_BATCH as BATCH } from "../src/pipeline/retention.ts";
import type { Store } from "../src/store/port.ts";
import { RedisStore } from "../src/store/redis.ts";
import { SqliteStore } from "../src/store/sqlite.ts";
import { makeCommit, makeOutboxItem } from "../test/store-fixtures.ts";
import { startRedis } from "../test/support/redis-server.ts";

/**
 * How fast retention deletes sent replies, and how long each batch holds the store:
 * `items` sent replies (10 per chat) go into a fresh redis-server and a SQLite file,
 * then pruneSent runs in the sweep's batches of 200 until none is left.
 *
 *   node --import tsx bench/retention-sweep.ts [--items 50000]
 */
const { values } = parseArgs({ options: { items: { type: "string", default: "50000" } } });
const items = Number(values.items);
if (!Number.isInteger(items) || items < 100) throw new Error(`--items must be a whole number >= 100, got ${values.items}`);

async function fill(store: Store): Promise<void> {
  const perCommit = 100;
  for (let c = 0; c < items / perCommit; c++) {
    const replies = Array.from({ length: perCommit }, (_, i) =>
      makeOutboxItem({ channel: "telegram", chatId: `c${c}_${i % 10}`, seq: 1 + Math.floor(i / 10) }),
    );
    await store.commitStep(makeCommit({ outbox: replies }));
    await Promise.all(replies.map((r, i) => store.markSent(r.id, [`${c}_${i}`], 1_000_000 + c * perCommit + i)));
  }
}

async function sweep(name: string, store: Store): Promise<void> {
  await fill(store);
  const batchMs: number[] = [];
  let deleted = 0;
  const start = performance.now();
  for (let done = false; !done; ) {
    const t = performance.now();
    const r = await store.pruneSent(Number.MAX_SAFE_INTEGER, BATCH);
    batchMs.push(performance.now() - t);
    deleted += r.deleted;
    done = r.done;
  }
  const s = (performance.now() - start) / 1000;
  const mean = batchMs.reduce((a, b) => a + b, 0) / batchMs.length;
  console.log(
    `${name.padEnd(7)} ${deleted.toLocaleString("en-US")} deleted in ${s.toFixed(2)} s (${Math.round(deleted / s).toLocaleString("en-US")}/s); ` +
      `${batchMs.length} batches of ${BATCH}: mean ${mean.toFixed(1)} ms, max ${Math.max(...batchMs).toFixed(1)} ms`,
  );
}

const server = await startRedis({ appendonly: false }); // its own server
const redis = await RedisStore.connect(server.url, { prefix: "sweep" });
try {
  await sweep("Redis", redis);
} finally {
  await redis.close();
  await server.stop();
}
const dir = mkdtempSync(join(tmpdir(), "frontdesk-sweep-"));
const sqlite = SqliteStore.open(join(dir, "frontdesk.db"));
try {
  await sweep("SQLite", sqlite);
} finally {
  await sqlite.close();
  rmSync(dir, { recursive: true, force: true });
}
