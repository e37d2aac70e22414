import type { InboundEvent } from "../model/inbound.ts";
import { conversationKey, journalKey } from "../model/inbound.ts";
import type { EnqueueOutcome, EnqueueResult, InboundLease, JournalEntry } from "./port.ts";
import { newId } from "./ids.ts";
import { DEDUPE_TTL_MS, MAX_MERGE_HOPS } from "./shared.ts";
import { RedisStoreBase } from "./redis-base.ts";
import { arr, identityKey, limitOf, stopOf, strs, toEntries, toTurn } from "./redis-codec.ts";

/** The Redis store's inbound journal (enqueue.lua, claim-inbound.lua, …; layout: redis.ts). */
export abstract class RedisJournal extends RedisStoreBase {
  async enqueue(events: InboundEvent[]): Promise<EnqueueOutcome[]> {
    return (await this.enqueueAndClaim(events)).outcomes;
  }

  async enqueueAndClaim(events: InboundEvent[], lease?: InboundLease): Promise<EnqueueResult> {
    if (events.length === 0) return { outcomes: [], claimed: [] };
    const now = this.clock();
    const claim = lease && lease.max > 0 ? lease : undefined;
    const args = [
      String(DEDUPE_TTL_MS),
      claim?.workerId ?? "",
      String(claim ? Math.floor(claim.max) : 0),
      claim ? String(claim.now + claim.leaseMs) : "",
      String(MAX_MERGE_HOPS),
      String(claim?.turnOrders ?? 0),
      String(events.length),
    ];
    const rows = events.map((e) => {
      const row = { id: newId("in"), key: conversationKey(e), at: e.at || now };
      args.push(journalKey(e), row.key, row.id, String(row.at), JSON.stringify(e), identityKey(e.channel, e.userId));
      return row;
    });
    const reply = arr(await this.run("enqueue", args));
    const outcomes: EnqueueOutcome[] = [];
    const claimed: JournalEntry[] = [];
    reply.forEach((x, i) => {
      // a leased entry comes with what its step reads
      const leased = Array.isArray(x);
      outcomes.push(leased || Number(x) !== 0 ? "queued" : "duplicate");
      const row = rows[i]!;
      if (leased) {
        const entry: JournalEntry = { id: row.id, conversationKey: row.key, event: events[i]!, enqueuedAt: row.at, attempts: 1 };
        if (claim?.turnOrders !== undefined) entry.turn = toTurn(x);
        claimed.push(entry);
      }
    });
    return { outcomes, claimed };
  }

  async claimInbound(workerId: string, max: number, leaseMs: number, now: number): Promise<JournalEntry[]> {
    if (max <= 0) return [];
    return toEntries(
      strs(await this.run("claimInbound", [workerId, String(Math.floor(max)), String(now + leaseMs), String(now)])),
      0,
    ).entries;
  }

  async releaseInbound(entryId: string, error: string, maxAttempts: number): Promise<void> {
    await this.run("releaseInbound", [entryId, error, String(maxAttempts)]);
  }

  async pendingInbound(): Promise<number> {
    return Number(await this.run("pendingInbound", []));
  }

  async deadInbound(limit: number): Promise<{ entry: JournalEntry; error: string }[]> {
    const lim = limitOf(limit);
    if (lim === 0) return [];
    const r = strs(await this.run("deadInbound", [stopOf(lim)]));
    const out: { entry: JournalEntry; error: string }[] = [];
    for (let i = 0; i + 5 < r.length; i += 6) {
      out.push({
        entry: {
          id: r[i]!,
          conversationKey: r[i + 1]!,
          event: JSON.parse(r[i + 2]!) as InboundEvent,
          enqueuedAt: Number(r[i + 3]),
          attempts: Number(r[i + 4]),
        },
        error: r[i + 5]!,
      });
    }
    return out;
  }

  async retryDeadInbound(entryId: string): Promise<JournalEntry | null> {
    const id = newId("in");
    const r = await this.run("deadInboundAction", [entryId, id]);
    if (!Array.isArray(r)) return null;
    const [conversationKey, event, at] = strs(r);
    return { id, conversationKey: conversationKey!, event: JSON.parse(event!) as InboundEvent, enqueuedAt: Number(at), attempts: 0 };
  }

  async discardDeadInbound(entryId: string): Promise<boolean> {
    return Array.isArray(await this.run("deadInboundAction", [entryId, ""]));
  }

}
