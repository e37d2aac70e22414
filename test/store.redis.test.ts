import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Store } from "../src/store/port.ts";
import { RedisStore } from "../src/store/redis.ts";
import {
  T0,
  makeCommit,
  makeContact,
  makeConversation,
  makeMessage,
  makeOutboxItem,
  makeTouchpoint,
  storeContract,
} from "./store-contract.ts";
import { startRedis, uniquePrefix, type RedisHandle } from "./support/redis-server.ts";

let server: RedisHandle;
beforeAll(async () => {
  server = await startRedis();
});
afterAll(async () => {
  await server?.stop();
});

// each store gets a prefix of its own on the one server
const prefixes = new WeakMap<Store, string>();
async function open(prefix = uniquePrefix()): Promise<Store> {
  const store = await RedisStore.connect(server.url, { prefix });
  prefixes.set(store, prefix);
  return store;
}

storeContract("RedisStore", () => open(), {
  reopen: async (old) => {
    const prefix = prefixes.get(old)!;
    await old.close();
    return open(prefix);
  },
});

describe("RedisStore specifics", () => {
  it("never hands one entry to two stores claiming at the same time", async () => {
    const prefix = uniquePrefix();
    const stores = await Promise.all([1, 2, 3].map(() => open(prefix)));
    try {
      const events = Array.from({ length: 60 }, (_, i) => makeMessage({ chatId: String(i % 20), text: String(i) }));
      await stores[0]!.enqueue(events);
      const now = T0 + 1_000_000;
      const seen: string[] = [];
      const order = new Map<string, string[]>();
      for (let round = 0; round < 10; round++) {
        const batches = await Promise.all(stores.map((s, i) => s.claimInbound(`w${i}`, 7, 30_000, now)));
        const all = batches.flat();
        if (all.length === 0) break;
        const keys = all.map((e) => e.conversationKey);
        expect(new Set(keys).size).toBe(keys.length); // one per conversation at a time
        for (const e of all) {
          seen.push(e.id);
          const texts = order.get(e.conversationKey) ?? [];
          texts.push((e.event as { text: string }).text);
          order.set(e.conversationKey, texts);
        }
        await Promise.all(all.map((e, i) => stores[i % 3]!.commitStep(makeCommit({ entryId: e.id }))));
      }
      expect(new Set(seen).size).toBe(60);
      for (const [key, texts] of order) {
        const chat = Number(key.split(":")[1]);
        expect(texts).toEqual([chat, chat + 20, chat + 40].map(String));
      }
      expect(await stores[0]!.pendingInbound()).toBe(0);
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
  });

  it("keeps journal, outbox and contacts across a restart of an AOF redis-server", async () => {
    const aof = await startRedis({ appendonly: true });
    const prefix = uniquePrefix();
    let store = await RedisStore.connect(aof.url, { prefix });
    try {
      const contact = makeContact({
        phone: "79990001122",
        identities: [{ channel: "whatsapp", userId: "79990001122", reachable: true }],
        stagesReached: { awareness: T0 + 1 },
      });
      const conv = makeConversation({ channel: "whatsapp", chatId: "79990001122", contactId: contact.id });
      const item = makeOutboxItem({ channel: "whatsapp", chatId: "79990001122", contactId: contact.id });
      const tp = makeTouchpoint({ contactId: contact.id });
      await store.enqueue([makeMessage({ chatId: "a", dedupeKey: "before-restart" }), makeMessage({ chatId: "b" })]);
      await store.commitStep(makeCommit({ conversation: conv, contacts: [contact], touchpoints: [tp], outbox: [item] }));

      await aof.restart();
      // the same client reconnects by itself
      await expect(store.ping()).resolves.toBeUndefined();
      expect(await store.pendingInbound()).toBe(2);
      expect(await store.enqueue([makeMessage({ chatId: "a", dedupeKey: "before-restart" })])).toEqual(["duplicate"]);
      expect((await store.claimInbound("w", 10, 30_000, T0)).map((e) => e.conversationKey).sort()).toEqual([
        "telegram:a",
        "telegram:b",
      ]);
      expect(await store.getContact(contact.id)).toEqual(contact);
      expect(await store.findContactByIdentity("whatsapp", "79990001122")).toEqual(contact);
      expect(await store.findContactByPhone("79990001122")).toEqual(contact);
      expect(await store.getConversation(conv.key)).toEqual(conv);
      expect(await store.listTouchpoints(contact.id)).toEqual([tp]);
      expect((await store.claimOutbox(10, 30_000, T0)).map((i) => i.id)).toEqual([item.id]);

      // and a new connection sees the same
      await store.close();
      store = await RedisStore.connect(aof.url, { prefix });
      expect(await store.listOutbox({ conversationKey: conv.key })).toEqual([item]);
      expect(await store.pendingInbound()).toBe(2);
    } finally {
      await store.close();
      await aof.stop();
    }
  });
});
