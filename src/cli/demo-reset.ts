import { z } from "zod";
import type { KeyValuePort, Store } from "../store/port.ts";
import { RedisStore } from "../store/redis.ts";
import { SqliteStore } from "../store/sqlite.ts";

/**
 * What the demo made, so `--reset` can take it away: the demo's chats are listed in
 * the key-value port (namespace "demo"); reset deletes their contacts with
 * everything that hangs off them (identities, first-reached stages, touchpoints,
 * orders, conversations, their queues, replies and timers) and nothing else: real
 * contacts and chats stay. The embedded store is reset row by row in one transaction,
 * Redis in one script (src/store/lua/remove-chats.lua).
 */
const NS = "demo";
const Keys = z.array(z.string());

export async function markDemo(store: KeyValuePort, conversationKeys: string[]): Promise<void> {
  const before = Keys.safeParse(JSON.parse((await store.kvGet(NS, "conversations")) ?? "[]"));
  const all = [...new Set([...(before.success ? before.data : []), ...conversationKeys])];
  await store.kvSet(NS, "conversations", JSON.stringify(all));
}

export async function resetDemo(store: Store): Promise<number> {
  const parsed = Keys.safeParse(JSON.parse((await store.kvGet(NS, "conversations")) ?? "[]"));
  const keys = parsed.success ? parsed.data : [];
  let removed: number;
  if (store instanceof SqliteStore) removed = store.removeDemoChats(keys);
  else if (store instanceof RedisStore) removed = await store.removeDemoChats(keys);
  else throw new Error(`demo --reset does not know the ${store.kind} store`);
  await store.kvDelete(NS, "conversations");
  return removed;
}
