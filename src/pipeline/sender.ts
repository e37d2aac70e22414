import type { Logger } from "pino";
import type { ChannelAdapter, RateLimit, SendFailure } from "../channel/port.ts";
import type { Channel } from "../model/channel.ts";
import type { InboundEvent } from "../model/inbound.ts";
import type { OutboxItem } from "../model/outbound.ts";
import type { OutboxLease, SendResultPort } from "../store/port.ts";
import { channelBurst, RateLimiter } from "./rate-limit.ts";
import type { EventBus } from "../events/bus.ts";

/**
 * Drains the outbox: one item per conversation at a time (so replies arrive in
 * order), within each channel's rate limits, retrying what failed for a reason that
 * passes, parking what cannot be sent where staff see it. Nothing is dropped.
 */
export interface SenderDeps {
  store: SendResultPort;
  adapters: Map<Channel, ChannelAdapter>;
  /** wall-clock time: rate limits and retry delays are physical, whatever the business clock says */
  now: () => number;
  log: Logger;
  enqueue: (events: InboundEvent[]) => Promise<unknown>;
  /** a lease for the chat's next item, taken with markSent (none while stopping) */
  lease?: () => OutboxLease | undefined;
  /** live pages hear of every reply that left */
  events?: Pick<EventBus, "publish">;
  /** offer a reply the customer cannot get here on another of their channels; answers where it went (src/moves/reroute.ts) */
  reroute?: (item: OutboxItem) => Promise<string | undefined>;
  /** a channel's send budget instead of its adapter's (tests of long journeys that are not about pacing) */
  rates?: Partial<Record<Channel, RateLimit>>;
}

export const MAX_SEND_ATTEMPTS = 10;
const MAX_INLINE_WAIT_MS = 2000;

/** 0.5 s, 1 s, 2 s … capped at 5 minutes, with jitter so retries do not stampede. */
export function backoffMs(attempts: number): number {
  const base = Math.min(300_000, 500 * 2 ** Math.max(0, attempts));
  return Math.round(base * (0.8 + Math.random() * 0.4));
}

export class Sender {
  private readonly limiter: RateLimiter;

  constructor(private readonly deps: SenderDeps) {
    this.limiter = new RateLimiter(deps.now);
    const rates = [...deps.adapters].map(([channel, a]) => [channel, deps.rates?.[channel] ?? a.rate] as const);
    for (const [channel, rate] of rates) this.limiter.configure(channel, rate);
    // where instances share the store, they share each channel's budget too
    deps.store.sendBudget?.configure(
      Object.fromEntries(rates.map(([channel, rate]) => [channel, { perSecond: rate.perSecond, burst: channelBurst(rate) }])),
      MAX_INLINE_WAIT_MS,
    );
  }

  /** retry a store write until it lands (the store is back within the lease, or we give up with it) */
  private async persist<T>(write: () => Promise<T>, id: string): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await write();
      } catch (err) {
        if (attempt >= 60) throw err;
        this.deps.log.warn({ err, outbox: id, attempt }, "could not record a sent message; retrying");
        await new Promise((r) => setTimeout(r, Math.min(100 * 2 ** attempt, 1000)));
      }
    }
  }

  /**
   * Send one item. Answers the chat's next item when recording this one leased it to
   * us, undefined when the outcome (a retry, a parked item) may have freed other work.
   */
  async deliver(item: OutboxItem): Promise<OutboxItem[] | undefined> {
    const { store, log, now } = this.deps;
    const adapter = this.deps.adapters.get(item.channel);
    if (!adapter) {
      await store.markFailed(item.id, "held", `channel ${item.channel} is not configured`);
      return undefined;
    }
    const wait = this.reserve(item);
    if (wait > MAX_INLINE_WAIT_MS) {
      // A long wait (a 429 pause) goes back to the store rather than holding the lease.
      await store.markRetry(item.id, now() + wait, "waiting for the rate limit", { countAttempt: false });
      return undefined;
    }
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));

    let result = await adapter.send(item);
    // A photo the platform refuses (a bad URL, a file it will not take): the card goes
    // again as text with its buttons, never dropped.
    const fallback = !result.ok && result.error.kind === "permanent" ? withoutPhoto(item) : undefined;
    if (fallback) {
      log.warn({ outbox: item.id, channel: item.channel, message: !result.ok ? result.error.message : "" }, "photo refused; sending the card as text");
      result = await adapter.send(fallback);
    }
    if (result.ok) {
      // The message is out: recording it must not fail, or it goes again after the lease.
      const next = await this.persist(() => store.markSent(item.id, result.platformMessageIds, now(), this.deps.lease?.()), item.id);
      adapter.recorded?.(item);
      this.deps.events?.publish([
        { at: now(), kind: "sent", conversationKey: item.conversationKey, contactId: item.contactId, data: { outboxId: item.id, seq: item.seq, channel: item.channel } },
      ]);
      return next;
    }
    const err = result.error;
    const attempts = item.attempts + 1;
    log.warn({ outbox: item.id, channel: item.channel, kind: err.kind, attempts, message: err.message }, "send failed");
    await this.recordFailure(item, err, attempts);
    return undefined;
  }

  /**
   * A slot to send `item` in, booked when it is within MAX_INLINE_WAIT_MS: the
   * channel's came with the item when the store books sends in a budget all instances
   * share (sendAt); this chat's bucket, and otherwise the channel's too, are here.
   */
  private reserve(item: OutboxItem): number {
    if (item.sendAt === undefined) return this.limiter.reserve(item.channel, item.chatId, MAX_INLINE_WAIT_MS);
    const chatWait = this.limiter.reserve(item.channel, item.chatId, MAX_INLINE_WAIT_MS, { chatOnly: true });
    return Math.max(chatWait, item.sendAt - this.deps.now());
  }

  private async recordFailure(item: OutboxItem, err: SendFailure, attempts: number): Promise<void> {
    const { store, now } = this.deps;
    switch (err.kind) {
      case "rate_limited":
        // The platform said how long to wait; the whole channel backs off, not just this
        // chat — on every instance when they share a budget.
        this.limiter.pause(item.channel, err.retryAfterMs);
        await this.deps.store.sendBudget?.pause(item.channel, now() + err.retryAfterMs).catch((e: unknown) => {
          this.deps.log.warn({ err: e, channel: item.channel }, "could not share the rate-limit pause");
        });
        await store.markRetry(item.id, now() + err.retryAfterMs, `rate limited: ${err.message}`, { countAttempt: false });
        return;
      case "transient":
        if (attempts >= MAX_SEND_ATTEMPTS) await store.markFailed(item.id, "dead", `gave up after ${attempts} attempts: ${err.message}`);
        else await store.markRetry(item.id, now() + backoffMs(attempts), err.message);
        return;
      case "window_closed":
        await store.markFailed(item.id, "held", `24-hour window closed: ${err.message}`);
        return;
      case "unreachable":
        // The event first: until the item leaves 'pending' nothing looks settled, and a
        // crash in between repeats the 403 and the (deduplicated) event, never loses it.
        await this.deps.enqueue([
          {
            type: "reachability",
            channel: item.channel,
            chatId: item.chatId,
            userId: item.chatId,
            dedupeKey: `unreachable:${item.id}`,
            at: now(),
            reachable: false,
          },
        ]);
        {
          const offered = await this.deps.reroute?.(item).catch((e: unknown) => {
            this.deps.log.warn({ err: e, outbox: item.id }, "could not offer the reply on another channel");
            return undefined;
          });
          await store.markFailed(item.id, "dead", `customer unreachable: ${err.message}${offered ? `; offered on ${offered}` : ""}`);
        }
        return;
      case "permanent":
        await store.markFailed(item.id, "dead", err.message);
        return;
    }
  }
}

/** The item as a text card: the photo's link dropped, its text and buttons kept (undefined: no photo to drop). */
export function withoutPhoto(item: OutboxItem): OutboxItem | undefined {
  if (!item.part.photoUrl) return undefined;
  const { photoUrl: _dropped, ...rest } = item.part;
  if (rest.text.trim() === "" && !rest.buttons && !rest.list) return undefined;
  return { ...item, part: { ...rest, photoDropped: true } };
}
