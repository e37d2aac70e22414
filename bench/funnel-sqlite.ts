import { join } from "node:path";
import { SqliteStore } from "../src/store/sqlite.ts";
import { seedFunnel, timeFunnel, type FunnelPeriod, type FunnelTiming } from "./funnel.ts";

/**
 * The embedded store's half of the funnel timing, in a process of its own so its
 * seeding overlaps the Redis seeding in the parent (SQLite is synchronous and would
 * block the parent's event loop). The parent says when to time, so the two reports
 * never run at the same time.
 *
 *   parent → { contacts, from, to, dir }   child → { seeded: ms }
 *   parent → "time"                        child → { timing }
 * The parent owns the temp dir and removes it.
 */
export type ToSqliteChild = { contacts: number; from: number; to: number; dir: string } | "time";
export type FromSqliteChild = { seeded: number } | { timing: FunnelTiming } | { error: string };

/** resolves once the message is handed to the IPC channel (exiting earlier can drop it) */
const send = (m: FromSqliteChild) => new Promise<void>((resolve) => process.send?.(m, undefined, {}, () => resolve()) ?? resolve());
let store: SqliteStore | undefined;
let period: FunnelPeriod | undefined;
let seedMs = 0;

process.on("message", (m: ToSqliteChild) => {
  void (async () => {
    try {
      if (m === "time") {
        await send({ timing: await timeFunnel(store!, period!, seedMs) });
        await store!.close();
        process.exit(0);
      }
      period = { from: m.from, to: m.to };
      store = SqliteStore.open(join(m.dir, "frontdesk.db"));
      seedMs = await seedFunnel(store, m.contacts, period);
      await send({ seeded: seedMs });
    } catch (err) {
      await send({ error: (err as Error)?.stack ?? String(err) });
      process.exit(1);
    }
  })();
});
/** the parent is gone or done */
process.on("disconnect", () => {
  if (!store) process.exit(0);
  void store.close().finally(() => process.exit(0));
});
