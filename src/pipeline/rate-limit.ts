import type { RateLimit } from "../channel/port.ts";
import type { Channel } from "../model/channel.ts";

/**
 * Token buckets per channel and per chat. `reserve` books a slot and says how long
 * to wait for it, so concurrent senders queue up instead of bursting past the limit.
 * A wait longer than the caller will sit through is not booked: the item goes back to
 * the queue, and a booking nobody uses would push every later message further out
 * (with hundreds of chats at once the waits would only grow).
 * On a store several instances share (Redis), the channel-wide limit is booked in the
 * store's SendBudget instead, so N instances together keep it; per-chat stays here.
 */
class Bucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly ratePerMs: number,
    private readonly burst: number,
    now: number,
  ) {
    this.tokens = burst;
    this.last = now;
  }

  /** ms until one more token is available (0 = now); takes nothing */
  wait(now: number): number {
    this.tokens = Math.min(this.burst, this.tokens + (now - this.last) * this.ratePerMs);
    this.last = now;
    const after = this.tokens - 1;
    return after >= 0 ? 0 : Math.ceil(-after / this.ratePerMs);
  }

  /** book one token (call wait() first, at the same `now`) */
  take(): void {
    this.tokens -= 1;
  }

  idleSince(now: number): boolean {
    return this.tokens + (now - this.last) * this.ratePerMs >= this.burst;
  }
}

/** a channel's burst: a second's worth of its rate (here and in a shared SendBudget) */
export function channelBurst(limit: RateLimit): number {
  return Math.max(1, limit.perSecond);
}

export class RateLimiter {
  private readonly limits = new Map<Channel, RateLimit>();
  private readonly channelBuckets = new Map<Channel, Bucket>();
  private readonly chatBuckets = new Map<string, Bucket>();
  private readonly pausedUntil = new Map<Channel, number>();

  constructor(private readonly now: () => number) {}

  configure(channel: Channel, limit: RateLimit): void {
    this.limits.set(channel, limit);
    this.channelBuckets.set(channel, new Bucket(limit.perSecond / 1000, channelBurst(limit), this.now()));
  }

  pause(channel: Channel, ms: number): void {
    this.pausedUntil.set(channel, Math.max(this.pausedUntil.get(channel) ?? 0, this.now() + ms));
  }

  /**
   * Book a slot if it comes within maxWaitMs; answers the wait either way. With
   * `chatOnly` the channel-wide limit is left to a budget shared by all instances
   * (SendBudget), and only this chat's bucket is booked here.
   */
  reserve(channel: Channel, chatId: string, maxWaitMs = Number.POSITIVE_INFINITY, opts: { chatOnly?: boolean } = {}): number {
    const limit = this.limits.get(channel);
    if (!limit) return 0;
    const now = this.now();
    const chat = this.chatBucket(channel, chatId, limit, now);
    const paused = Math.max(0, (this.pausedUntil.get(channel) ?? 0) - now);
    if (opts.chatOnly) {
      const wait = Math.max(paused, chat.wait(now));
      if (wait <= maxWaitMs) chat.take();
      return wait;
    }
    const all = this.channelBuckets.get(channel)!;
    const wait = Math.max(paused, all.wait(now), chat.wait(now));
    if (wait <= maxWaitMs) {
      all.take();
      chat.take();
    }
    return wait;
  }

  private chatBucket(channel: Channel, chatId: string, limit: RateLimit, now: number): Bucket {
    const key = `${channel}:${chatId}`;
    let chat = this.chatBuckets.get(key);
    if (!chat) {
      if (this.chatBuckets.size > 50_000) this.sweep(now);
      chat = new Bucket(limit.perChatPerSecond / 1000, limit.perChatBurst, now);
      this.chatBuckets.set(key, chat);
    }
    return chat;
  }

  /** Forget chats whose bucket is full again (they would behave the same as new). */
  private sweep(now: number): void {
    for (const [key, bucket] of this.chatBuckets) if (bucket.idleSince(now)) this.chatBuckets.delete(key);
  }
}
