import type { Channel } from "../model/channel.ts";
import type { OutboxItem, OutboxStatus } from "../model/outbound.ts";
import type { DueTimer, OutboxLease, RetryOptions, SendBudget } from "./port.ts";
import { RedisContacts } from "./redis-contacts.ts";
import { SENT_AFTER_MAX } from "./sent-after.ts";
import { bound, identityKey, limitOf, stopOf, strs, toOutboxItems } from "./redis-codec.ts";

/** The Redis store's outbox, the channels' shared send budgets, and timers. */
export abstract class RedisOutbox extends RedisContacts {
  async claimOutbox(max: number, leaseMs: number, now: number): Promise<OutboxItem[]> {
    if (max <= 0) return [];
    return toOutboxItems(await this.run("claimOutbox", [String(Math.floor(max)), String(now + leaseMs), String(now), this.budgets]), 0, undefined, now);
  }

  async markSent(id: string, platformMessageIds: string[], now: number, lease?: OutboxLease): Promise<OutboxItem[]> {
    const reply = await this.run("outboxUpdate", [
      "sent",
      id,
      JSON.stringify(platformMessageIds),
      String(now),
      String(platformMessageIds.length),
      ...platformMessageIds,
      ...(lease ? [String(lease.now + lease.leaseMs), String(lease.now), this.budgets] : [""]),
    ]);
    return Array.isArray(reply) ? toOutboxItems(reply, 0, undefined, lease?.now) : [];
  }

  async markRetry(id: string, notBefore: number, error: string, opts?: RetryOptions): Promise<void> {
    await this.run("outboxUpdate", ["retry", id, String(notBefore), error, opts?.countAttempt === false ? "0" : "1"]);
  }

  async markFailed(id: string, status: Extract<OutboxStatus, "dead" | "held">, error: string): Promise<void> {
    await this.run("outboxUpdate", ["failed", id, status, error]);
  }

  /** held or dead → pending, due now, attempts reset (a staff "send again") */
  async requeueOutbox(id: string, now: number): Promise<boolean> {
    return Number(await this.run("outboxUpdate", ["requeue", id, String(now)])) === 1;
  }

  async findOutboxByPlatformId(channel: Channel, platformMessageId: string): Promise<OutboxItem | null> {
    return toOutboxItems(await this.run("findOutbox", [identityKey(channel, platformMessageId)]))[0] ?? null;
  }

  async setDeliveryStatus(id: string, status: string): Promise<void> {
    await this.run("outboxUpdate", ["delivery", id, status]);
  }

  private async fetchOutbox(ids: string[]): Promise<OutboxItem[]> {
    if (ids.length === 0) return [];
    return toOutboxItems(await this.run("fetchOutbox", [String(ids.length), ...ids]));
  }

  /** in seq order within a conversation; in insertion order across conversations */
  async listOutbox(filter: { status?: OutboxStatus; conversationKey?: string; limit?: number }): Promise<OutboxItem[]> {
    const lim = limitOf(filter.limit);
    if (lim === 0) return [];
    if (filter.conversationKey !== undefined) {
      const filtered = filter.status !== undefined;
      const ids = strs(
        await this.cmd(["ZRANGE", `${this.kConv(filter.conversationKey)}:oa`, "0", filtered ? "-1" : stopOf(lim)]),
      );
      let items = await this.fetchOutbox(ids);
      if (filtered) items = items.filter((i) => i.status === filter.status);
      return lim < 0 ? items : items.slice(0, lim);
    }
    const index = filter.status !== undefined ? `ost:${filter.status}` : "oall";
    return this.fetchOutbox(strs(await this.cmd(["ZRANGE", this.k(index), "0", stopOf(lim)])));
  }

  /** SentAfterPort (src/store/sent-after.ts): the chat's items after `afterSeq` by score (seq), the sent ones */
  async listSentAfter(conversationKey: string, afterSeq: number, limit: number): Promise<OutboxItem[]> {
    const lim = Math.max(1, Math.min(SENT_AFTER_MAX, Math.floor(limit)));
    const ids = strs(
      await this.cmd(["ZRANGE", `${this.kConv(conversationKey)}:oa`, `(${Math.floor(afterSeq)}`, "+inf", "BYSCORE", "LIMIT", "0", String(lim)]),
    );
    return (await this.fetchOutbox(ids)).filter((i) => i.status === "sent");
  }

  async pruneSent(before: number, max: number): Promise<{ deleted: number; done: boolean }> {
    if (max <= 0) return { deleted: 0, done: true };
    const [deleted, seen] = strs(await this.run("pruneSent", [String(before), String(Math.floor(max))])).map(Number);
    return { deleted: deleted ?? 0, done: (seen ?? 0) < max };
  }

  /** the channels' send budgets in Redis, booked by the scripts that lease items (claimOHead in lua/lib/outbox.lua) */
  readonly sendBudget: SendBudget = {
    configure: (limits, maxWaitMs) => {
      const parts = Object.entries(limits)
        .filter((e): e is [string, { perSecond: number; burst: number }] => e[1] !== undefined && e[1].perSecond > 0)
        .map(([channel, l]) => `${channel}:${1000 / l.perSecond}:${Math.max(1, l.burst)}`);
      this.budgets = parts.length > 0 ? [String(maxWaitMs), ...parts].join(";") : "";
    },
    pause: async (channel, until) => {
      await this.run("pauseSends", [channel, String(until)]);
    },
  };

  // ---- timers -----------------------------------------------------------------

  async dueTimers(now: number, max: number): Promise<DueTimer[]> {
    if (max <= 0) return [];
    const flat = strs(
      await this.cmd([
        "ZRANGE",
        this.k("timers"),
        "-inf",
        bound(now, false),
        "BYSCORE",
        "LIMIT",
        "0",
        String(Math.floor(max)),
        "WITHSCORES",
      ]),
    );
    const out: DueTimer[] = [];
    for (let i = 0; i + 1 < flat.length; i += 2) {
      const [conversationKey, name, token, channel, chatId] = flat[i]!.split("\n");
      out.push({
        conversationKey: conversationKey!,
        channel: channel as Channel,
        chatId: chatId!,
        name: name!,
        token: token!,
        at: Number(flat[i + 1]),
      });
    }
    return out;
  }

  async markTimerFired(conversationKey: string, name: string, token: string): Promise<void> {
    await this.run("markTimerFired", [conversationKey, name, token]);
  }

}
