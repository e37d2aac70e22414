import pino from "pino";
import { createClient } from "redis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Store } from "../src/store/port.ts";
import { RedisStore } from "../src/store/redis.ts";
import { T0, makeCommit, makeContact, makeConversation, makeMessage, makeOutboxItem, makeTouchpoint, storeContract } from "./store-contract/index.ts";
import { startFakeTelegram } from "./fakes/telegram-api.ts";
import { deliver, repliesByChat, STAFF_TOKEN, TG_SECRET, textUpdate, waitUntil } from "./support/load.ts";
import { startRedisCluster, type RedisClusterHandle } from "./support/redis-cluster.ts";
import { uniquePrefix } from "./support/redis-server.ts";
import { startService, statusOf, stopAllServices, telegramServiceEnv, tempDir } from "./support/service-process.ts";

/**
 * The Redis store on a real Redis Cluster (3 masters): the same contract as on one
 * server, each shop's keys in the one slot of its prefix, and a failover survived.
 */
const quiet = pino({ level: "silent" });

let cluster: RedisClusterHandle;
beforeAll(async () => {
  cluster = await startRedisCluster({ masters: 3 });
});
afterAll(async () => {
  await stopAllServices();
  await cluster?.stop();
});

const prefixes = new WeakMap<Store, string>();
async function open(prefix = uniquePrefix()): Promise<RedisStore> {
  const store = await RedisStore.connect(cluster.url, { prefix, log: quiet });
  prefixes.set(store, prefix);
  return store;
}

storeContract("RedisStore on a Redis Cluster", () => open(), {
  reopen: async (old) => {
    const prefix = prefixes.get(old)!;
    await old.close();
    return open(prefix);
  },
});

/** every key on one node (KEYS is fine on a test's own tiny cluster) */
async function keysOn(port: number): Promise<string[]> {
  const c = createClient({ url: `redis://127.0.0.1:${port}` });
  await c.connect();
  try {
    return ((await c.sendCommand(["KEYS", "*"])) as string[]).sort();
  } finally {
    await c.close();
  }
}

/** one customer's step: queued, claimed, committed with contact, touchpoint and reply */
async function oneStep(store: Store, chatId: string) {
  const contact = makeContact({ identities: [{ channel: "telegram", userId: chatId, reachable: true }], stagesReached: { awareness: T0 } });
  const conversation = makeConversation({ chatId, contactId: contact.id });
  await store.enqueue([makeMessage({ chatId })]);
  const [entry] = await store.claimInbound("w", 1, 30_000, T0);
  const item = makeOutboxItem({ chatId, contactId: contact.id, conversationKey: conversation.key });
  await store.commitStep(
    makeCommit({ entryId: entry!.id, conversation, contacts: [contact], touchpoints: [makeTouchpoint({ contactId: contact.id })], outbox: [item] }),
  );
  return { contact, conversation, item };
}

describe("RedisStore on a Redis Cluster, specifics", () => {
  it("finds out it is on a cluster and keeps each shop's keys in the slot of its prefix, shops spread over the nodes", async () => {
    const shops = ["ромашка", "shopA", "shopB", "shopC", "shopD", "shopE"].map((name) => `${name}-${uniquePrefix()}`);
    const stores = await Promise.all(shops.map((p) => open(p)));
    try {
      expect(stores.every((s) => s.cluster)).toBe(true);
      for (const [i, store] of stores.entries()) await oneStep(store, `chat${i}`);
      const owners = await Promise.all(shops.map((p) => cluster.masterOf(`{${p}}`)));
      for (const [i, shop] of shops.entries()) {
        const here = (await keysOn(owners[i]!.port)).filter((k) => k.startsWith(`{${shop}}:`));
        expect(here.length).toBeGreaterThan(10); // journal, conversation, contact, outbox, indexes…
        for (const node of cluster.nodes.filter((n) => n.port !== owners[i]!.port)) {
          expect((await keysOn(node.port)).filter((k) => k.startsWith(`{${shop}}:`))).toEqual([]);
        }
      }
      expect(new Set(owners.map((o) => o.port)).size).toBeGreaterThan(1);
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
  });
});

describe("RedisStore on a Redis Cluster with replicas", () => {
  let replicated: RedisClusterHandle;
  beforeAll(async () => {
    replicated = await startRedisCluster({ masters: 3, replicasPerMaster: 1 });
  });
  afterAll(async () => {
    await replicated?.stop();
  });

  it("carries on after its master fails over to a replica: what it wrote is there, new work flows", async () => {
    const prefix = uniquePrefix();
    const store = await RedisStore.connect(replicated.url, { prefix, log: quiet });
    try {
      const before = await oneStep(store, "before");
      await store.enqueue([makeMessage({ chatId: "waiting" })]);
      const master = await replicated.masterOf(`{${prefix}}`);
      const promoted = await replicated.failover(master);
      expect((await replicated.masterOf(`{${prefix}}`)).port).toBe(promoted.port);

      // the client follows the MOVED answers and reloads its scripts on the new master
      let claimed: Awaited<ReturnType<Store["claimInbound"]>> = [];
      let lastError: unknown;
      const claim = () =>
        store.claimInbound("w", 5, 30_000, T0 + 1).then(
          (c) => ((claimed = c), true),
          (err: unknown) => ((lastError = err), false),
        );
      await waitUntil(claim, 20_000, () => `no claim after the failover: ${String(lastError)}`);
      expect(claimed.map((e) => e.conversationKey)).toEqual(["telegram:waiting"]);
      expect(await store.getContact(before.contact.id)).toEqual(before.contact);
      expect((await store.listOutbox({ conversationKey: before.conversation.key })).map((i) => i.id)).toEqual([before.item.id]);
      await store.commitStep(makeCommit({ entryId: claimed[0]!.id }));
      expect(await store.pendingInbound()).toBe(0);
      const after = await oneStep(store, "after");
      expect(await store.getContact(after.contact.id)).toEqual(after.contact);
    } finally {
      await store.close();
    }
  });
});

describe("the service on a Redis Cluster", () => {
  it("two instances with REDIS_URL at one node: a customer's messages alternating between them are answered once each, in order", async () => {
    const fake = await startFakeTelegram();
    try {
      const env = telegramServiceEnv({ redisUrl: cluster.url, apiRoot: fake.apiRoot, dataDir: tempDir(), secret: TG_SECRET, staffToken: STAFF_TOKEN });
      const [a, b] = await Promise.all([startService({ env }), startService({ env })]);
      expect(await statusOf(`${a.base}/readyz`)).toBe(200);
      const chat = 7_600_001;
      const texts = ["/start", "доставка", "цены", "адрес", "доставка", "цены"];
      const expected = [/^Здравствуйте!/, /^Привезём курьером/, /^Батончики — /, /^Мы здесь: /, /^Привезём курьером/, /^Батончики — /];
      for (const [i, text] of texts.entries()) {
        const target = i % 2 === 0 ? a : b;
        await deliver(() => target.base, textUpdate(900_000 + i, chat, text));
      }
      // one message more, on the instance that answered the first: its reply arriving is
      // the sign that a stray duplicate of the others would have shown up by now
      await deliver(() => a.base, textUpdate(900_000 + texts.length, chat, "адрес"));
      const all = () => repliesByChat(fake).get(String(chat)) ?? [];
      await waitUntil(() => all().length > texts.length && /^Мы здесь: /.test(all().at(-1)!), 30_000, () => `replies: ${all().length}`);
      expect(all()).toHaveLength(texts.length + 1);
      const replies = all().slice(0, texts.length);
      replies.forEach((t, i) => expect(t, `reply ${i + 1} (to «${texts[i]}»)`).toMatch(expected[i]!));
      // the service's keys are in the slot of its default prefix, on that slot's node only
      const owner = await cluster.masterOf("{fd}");
      expect((await keysOn(owner.port)).some((k) => k.startsWith("{fd}:{c:telegram:7600001}"))).toBe(true);
    } finally {
      await stopAllServices();
      await fake.close();
    }
  }, 60_000);
});
