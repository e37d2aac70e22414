import { z } from "zod";
import type { KeyValuePort } from "../store/port.ts";
import { SqliteStore } from "../store/sqlite.ts";

/**
 * What the demo made, so `--reset` can take it away: the demo's chats are listed in
 * the key-value port (namespace "demo"); reset deletes their contacts with
 * everything that hangs off them (identities, first-reached stages, touchpoints,
 * orders, conversations, their queues, replies and timers). The embedded store is
 * reset row by row in one transaction; on Redis the demo is meant for a scratch
 * database (REDIS_URL=…/15), so reset refuses rather than leave half a shop.
 */
const NS = "demo";
const Keys = z.array(z.string());

export async function markDemo(store: KeyValuePort, conversationKeys: string[]): Promise<void> {
  const before = Keys.safeParse(JSON.parse((await store.kvGet(NS, "conversations")) ?? "[]"));
  const all = [...new Set([...(before.success ? before.data : []), ...conversationKeys])];
  await store.kvSet(NS, "conversations", JSON.stringify(all));
}

export async function resetDemo(store: KeyValuePort): Promise<number> {
  const parsed = Keys.safeParse(JSON.parse((await store.kvGet(NS, "conversations")) ?? "[]"));
  const keys = parsed.success ? parsed.data : [];
  if (!(store instanceof SqliteStore)) {
    throw new Error("demo --reset works on the embedded store; on Redis run the demo against a scratch database (REDIS_URL=redis://…/15) and FLUSHDB it");
  }
  const removed = store.removeDemoChats(keys);
  await store.kvDelete(NS, "conversations");
  return removed;
}
