import type { PrunePort } from "../store/port.ts";

const DAY_MS = 86_400_000;

/** a batch is one store write: small enough not to stall Redis for other instances */
export const RETENTION_BATCH = 200;

/**
 * Retention: sent replies older than the period are deleted, in batches, until none
 * is due. Only sent ones: a pending, held or dead reply still needs the sender or
 * staff. Safe to run on every instance at once: each batch is one atomic write of
 * whatever is still there.
 */
export async function pruneSentReplies(store: PrunePort, keepDays: number, wallNow: number): Promise<number> {
  if (keepDays <= 0) return 0;
  const before = wallNow - keepDays * DAY_MS;
  let total = 0;
  for (;;) {
    const { deleted, done } = await store.pruneSent(before, RETENTION_BATCH);
    total += deleted;
    if (done) return total;
  }
}
