import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { contactCommit, funnelPeriod, mulberry32 } from "../bench/funnel.ts";
import { funnelReport } from "../src/analytics/funnel.ts";
import { playDemo } from "../src/cli/demo.ts";
import { resetDemo } from "../src/cli/demo-reset.ts";
import type { Store } from "../src/store/port.ts";
import { RedisStore } from "../src/store/redis.ts";
import { SqliteStore } from "../src/store/sqlite.ts";
import { startRedis, uniquePrefix, type RedisHandle } from "./support/redis-server.ts";

/**
 * `frontdesk demo` then `frontdesk demo --reset` on both stores: a shop with a real
 * customer of its own gets the demo's people, and the reset takes away exactly them —
 * the real customer, chat, touchpoints and order stay, no demo contact, order or key is
 * left (Redis: every key the demo added goes, but for counters and the append-only
 * funnel log).
 */
const dirs: string[] = [];
let redis: RedisHandle | undefined;
afterAll(async () => {
  await redis?.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function realCustomer(store: Store) {
  const c = contactCommit(7, funnelPeriod(), mulberry32(7));
  await store.commitStep({ contacts: c.contacts, touchpoints: c.touchpoints, orders: c.orders, outbox: [] });
  await store.commitStep({ conversation: c.conversation!, contacts: [], touchpoints: [], orders: [], outbox: [] });
  return c;
}

for (const kind of ["sqlite", "redis"] as const) {
  describe(`demo --reset (${kind})`, () => {
    it("removes what the demo made and nothing else", async () => {
      let open: () => Promise<Store>;
      let keys: (() => Promise<string[]>) | undefined;
      if (kind === "sqlite") {
        const dir = mkdtempSync(join(tmpdir(), "frontdesk-demo-reset-"));
        dirs.push(dir);
        open = async () => SqliteStore.open(join(dir, "frontdesk.db"));
      } else {
        redis ??= await startRedis();
        const prefix = uniquePrefix();
        open = () => RedisStore.connect(redis!.url, { prefix });
        keys = async () => {
          const s = (await open()) as RedisStore;
          const all = (await (s as unknown as { link: { send(a: string[]): Promise<unknown> } }).link.send(["KEYS", `${prefix}:*`])) as string[];
          await s.close();
          return all.sort();
        };
      }
      let store = await open();
      const real = await realCustomer(store);
      const realId = real.contacts[0]!.id;
      await store.close();
      const before = keys ? await keys() : [];

      store = await open();
      const made = await playDemo(store, 3); // closes the store
      expect(made.people).toBeGreaterThan(3); // with the story's people and a few of every audience
      expect(made.contacts).toBeGreaterThanOrEqual(made.people); // the demo's people and the real one

      store = await open();
      const removed = await resetDemo(store);
      expect(removed).toBe(made.contacts - 1);
      const contacts = await store.reportReads!().contacts();
      expect(contacts.map((c) => c.id)).toEqual([realId]);
      expect(await store.getContact(realId)).toMatchObject({ id: realId, name: real.contacts[0]!.name });
      expect(await store.getConversation(real.conversation!.key)).toMatchObject({ key: real.conversation!.key, contactId: realId });
      expect((await store.listOrders({})).map((o) => o.id)).toEqual(real.orders.map((o) => o.id));
      // the funnel counts the real customer alone (the demo's stages were taken back)
      const funnel = await funnelReport(store, Date.now() - 400 * 86_400_000, Date.now() + 86_400_000, undefined, Date.now());
      expect(funnel.rows[0]!.reached).toBe(1);
      await store.close();

      if (keys) {
        // what is left beyond the shop before: counters, the change log, the funnel's
        // append-only log, and the service's own state (webhook dedupe keys that expire
        // in 7 days, the event stream, rate limits, kv indexes): no record of the demo
        const after = await keys();
        const added = after.filter((k) => !before.includes(k)).map((k) => k.slice(k.indexOf(":") + 1));
        expect(added.filter((k) => !/^(rid|rseq|rchg|tpseq|cn|cnid|fc|fm|fmn|sxk|fl:\d+|jseq|events|dd:.*|rl:.*|kvi?:.*)$/.test(k))).toEqual([]);
      }
    }, 300_000);
  });
}
