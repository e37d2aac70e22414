import { STAGES, type Contact, type Identity, type StageKey } from "../model/domain.ts";

/**
 * What both store implementations must do the same way: the dedupe window, the
 * stale-commit error, how two contacts found to be one person are combined, and the
 * funnel's empty columns.
 */

/** Meta retries a webhook for up to 7 days (limits.md W5): remember keys that long. */
export const DEDUPE_TTL_MS = 7 * 24 * 60 * 60 * 1000;

/** a chain of merges longer than this is a bug, not data */
export const MAX_MERGE_HOPS = 16;

/**
 * commitStep was given an entry that is no longer in the journal: another worker
 * (whose lease this one outlived) already applied it. Nothing of the step is written.
 */
export class StaleEntryError extends Error {
  constructor(readonly entryId: string) {
    super(`journal entry ${entryId} is no longer live (already committed or parked)`);
    this.name = "StaleEntryError";
  }
}

/** Per stage, the earlier of two first-reached times. */
export function earliestStages(a: Contact["stagesReached"], b: Contact["stagesReached"]): Contact["stagesReached"] {
  const out: Contact["stagesReached"] = { ...a };
  for (const [stage, at] of Object.entries(b) as [StageKey, number | undefined][]) {
    if (at === undefined) continue;
    const mine = out[stage];
    out[stage] = mine === undefined ? at : Math.min(mine, at);
  }
  return out;
}

export function unionIdentities(into: Identity[], from: Identity[]): Identity[] {
  const seen = new Set(into.map((i) => `${i.channel}:${i.userId}`));
  return [...into, ...from.filter((i) => !seen.has(`${i.channel}:${i.userId}`))];
}

/**
 * Validate a merge of `from` into `into`: returns `into` when it was already done,
 * null when it may go ahead, and throws when it cannot.
 */
export function mergeDone(fromId: string, intoId: string, from: Contact | null, into: Contact | null): Contact | null {
  if (fromId === intoId) throw new Error(`cannot merge contact ${fromId} into itself`);
  if (!from) throw new Error(`contact ${fromId} not found`);
  if (!into) throw new Error(`contact ${intoId} not found`);
  if (from.mergedInto === intoId) return into;
  if (from.mergedInto !== undefined) throw new Error(`contact ${fromId} was already merged into ${from.mergedInto}`);
  if (into.mergedInto !== undefined) throw new Error(`contact ${intoId} was merged into ${into.mergedInto}`);
  return null;
}

/**
 * The two records after a merge: `merged` (the target, with both histories' sums,
 * earliest stages and the latest stage) and `source` (emptied, pointing at it).
 */
export function mergeContactRecords(from: Contact, into: Contact, now: number): { merged: Contact; source: Contact } {
  const reachedAt = (c: Contact) => c.stagesReached[c.stage] ?? c.updatedAt;
  const merged: Contact = {
    ...into,
    name: into.name ?? from.name,
    phone: into.phone ?? from.phone,
    source: into.source ?? from.source,
    referredBy: into.referredBy ?? from.referredBy,
    identities: unionIdentities(into.identities, from.identities),
    stagesReached: earliestStages(into.stagesReached, from.stagesReached),
    stage: reachedAt(from) > reachedAt(into) ? from.stage : into.stage,
    balance: into.balance + from.balance,
    bonusPoints: into.bonusPoints + from.bonusPoints,
    bonusMember: into.bonusMember || from.bonusMember,
    orderCount: into.orderCount + from.orderCount,
    lastOrderAt:
      into.lastOrderAt === undefined
        ? from.lastOrderAt
        : from.lastOrderAt === undefined
          ? into.lastOrderAt
          : Math.max(into.lastOrderAt, from.lastOrderAt),
    orderIntervalDays: into.orderIntervalDays ?? from.orderIntervalDays,
    createdAt: Math.min(into.createdAt, from.createdAt),
    updatedAt: Math.max(now, into.updatedAt),
  };
  for (const [k, v] of Object.entries(merged)) {
    if (v === undefined) delete (merged as unknown as Record<string, unknown>)[k];
  }
  const source: Contact = { ...from, identities: [], mergedInto: into.id, updatedAt: Math.max(now, from.updatedAt) };
  return { merged, source };
}

/** a read's row limit: all when absent (-1), never below 0 */
export function limitOf(limit: number | undefined): number {
  return limit === undefined ? -1 : Math.max(0, Math.floor(limit));
}

/** per stage, `n` contacts' first-reached times, all NaN (not reached in the period) */
export function emptyColumns(n: number): Record<StageKey, Float64Array> {
  return Object.fromEntries(STAGES.map((s) => [s, new Float64Array(n).fill(Number.NaN)])) as Record<StageKey, Float64Array>;
}
