import type { RateLimit } from "../../adapters/types.ts";
import type { Channel } from "../model/channel.ts";

/**
 * Token buckets per channel and per chat. `reserve` books a slot and says how long
 * to wait for it, so concurrent senders queue up instead of bursting past the limit.
 * Limits are per process: with N instances each gets 1/N (see README, production).
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

  /** Take one token; returns ms until it is really available (0 = now). */
  reserve(now: number): number {
    this.tokens = Math.min(this.burst, this.tokens + (now - this.last) * this.ratePerMs);
    this.last = now;
    this.tokens -= 1;
    return this.tokens >= 0 ? 0 : Math.ceil(-this.tokens / this.ratePerMs);
  }

  idleSince(now: number): boolean {
    return this.tokens + (now - this.last) * this.ratePerMs >= this.burst;
  }
}

export class RateLimiter {
  private readonly limits = new Map<Channel, RateLimit>();
  private readonly channelBuckets = new Map<Channel, Bucket>();
  private readonly chatBuckets = new Map<string, Bucket>();
  private readonly pausedUntil = new Map<Channel, number>();

  constructor(private readonly now: () => number) {}

  configure(channel: Channel, limit: RateLimit): void {
    this.limits.set(channel, limit);
    this.channelBuckets.set(channel, new Bucket(limit.perSecond / 1000, Math.max(1, limit.perSecond), this.now()));
  }

  pause(channel: Channel, ms: number): void {
    this.pausedUntil.set(channel, Math.max(this.pausedUntil.get(channel) ?? 0, this.now() + ms));
  }

  reserve(channel: Channel, chatId: string): number {
    const limit = this.limits.get(channel);
    if (!limit) return 0;
    const now = this.now();
    const key = `${channel}:${chatId}`;
    let chat = this.chatBuckets.get(key);
    if (!chat) {
      if (this.chatBuckets.size > 50_000) this.sweep(now);
      chat = new Bucket(limit.perChatPerSecond / 1000, limit.perChatBurst, now);
      this.chatBuckets.set(key, chat);
    }
    const paused = Math.max(0, (this.pausedUntil.get(channel) ?? 0) - now);
    return Math.max(paused, this.channelBuckets.get(channel)!.reserve(now), chat.reserve(now));
  }

  /** Forget chats whose bucket is full again (they would behave the same as new). */
  private sweep(now: number): void {
    for (const [key, bucket] of this.chatBuckets) if (bucket.idleSince(now)) this.chatBuckets.delete(key);
  }
}
