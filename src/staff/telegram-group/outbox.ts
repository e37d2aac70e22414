import type { Logger } from "pino";
import { StaffGroupError, type StaffGroupApi, type StaffGroupMedia } from "./port.ts";

/**
 * Everything the desk writes into the staff group goes through this one queue: the
 * group is one chat, and Telegram lets a bot post about 20 messages a minute into a
 * group. A token bucket paces the sends; while they wait, texts for the same topic are
 * merged into one message (a customer's burst of five lines becomes one post), a 429
 * pauses the queue for its retry_after, a topic Telegram says is gone is recreated
 * (onThreadGone) and a closed one reopened, and the send is tried again.
 */

export type GroupPost =
  | { threadId?: number; text: string; contactId?: string }
  | { threadId: number; media: StaffGroupMedia; contactId?: string }
  /** close the topic once what was queued before it is posted (/close) */
  | { threadId: number; close: true; contactId?: string };

/** Telegram's limit for one message is 4096 characters; keep a margin for merging */
const MAX_TEXT = 4000;
const MAX_ATTEMPTS = 5;

export interface GroupOutboxOptions {
  api: StaffGroupApi;
  log: Logger;
  perMinute: number;
  /** posts that may go at once before the pace applies (default 3) */
  burst?: number;
  /** the topic of contactId is gone: answers the new one's id (or undefined to drop) */
  onThreadGone(threadId: number, contactId: string | undefined): Promise<number | undefined>;
}

interface Queued {
  post: GroupPost;
  attempts: number;
}

export class GroupOutbox {
  private queue: Queued[] = [];
  private tokens: number;
  private refilledAt = Date.now();
  private pausedUntil = 0;
  private running: Promise<void> | undefined;
  private closed = false;
  private wake: (() => void) | undefined;
  private readonly burst: number;

  constructor(private readonly o: GroupOutboxOptions) {
    this.burst = o.burst ?? 3;
    this.tokens = this.burst;
  }

  push(post: GroupPost): void {
    if (this.closed) return;
    this.queue.push({ post, attempts: 0 });
    this.running ??= this.drain().finally(() => (this.running = undefined));
  }

  /** resolves when everything queued was sent or given up */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  get pending(): number {
    return this.queue.length;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.queue = [];
    this.wake?.();
    await this.running;
  }

  private refill(now: number): void {
    const perMs = this.o.perMinute / 60_000;
    this.tokens = Math.min(this.burst, this.tokens + (now - this.refilledAt) * perMs);
    this.refilledAt = now;
  }

  /** ms until a send may go (0: now) */
  private waitMs(): number {
    const now = Date.now();
    this.refill(now);
    const paused = Math.max(0, this.pausedUntil - now);
    const forToken = this.tokens >= 1 ? 0 : Math.ceil((1 - this.tokens) / (this.o.perMinute / 60_000));
    return Math.max(paused, forToken);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }

  private async drain(): Promise<void> {
    while (!this.closed && this.queue.length > 0) {
      const wait = this.waitMs();
      if (wait > 0) {
        await this.sleep(wait);
        continue;
      }
      const head = this.takeMerged();
      this.tokens -= 1;
      try {
        await this.send(head.post);
      } catch (err) {
        await this.failed(head, err);
      }
    }
  }

  /** the head, with the texts queued behind it for the same topic folded in (up to a media post of that topic) */
  private takeMerged(): Queued {
    const head = this.queue.shift()!;
    if (!("text" in head.post)) return head;
    const thread = head.post.threadId;
    let text = head.post.text;
    const rest: Queued[] = [];
    let blocked = false;
    for (const q of this.queue) {
      const same = q.post.threadId === thread;
      // a close is not a post: it waits behind the topic's texts but does not stop merging
      if (same && !blocked && "text" in q.post && text.length + 2 + q.post.text.length <= MAX_TEXT) {
        text = `${text}\n\n${q.post.text}`;
        continue;
      }
      if (same) blocked = true; // keep the topic's order: nothing merges past what stays
      rest.push(q);
    }
    this.queue = rest;
    return { post: { ...head.post, text }, attempts: head.attempts };
  }

  private async send(post: GroupPost): Promise<void> {
    if ("text" in post) await this.o.api.sendText(post.text, post.threadId);
    else if ("media" in post) await this.o.api.sendMedia(post.media, post.threadId);
    else await this.o.api.closeTopic(post.threadId);
  }

  private async failed(item: Queued, err: unknown): Promise<void> {
    const failure = err instanceof StaffGroupError ? err.failure : { kind: "transient" as const, message: String(err) };
    const { log } = this.o;
    const again = (): void => void this.queue.unshift(item);
    switch (failure.kind) {
      case "rate_limited":
        // the group's own flood limit: everything waits, as Telegram asked
        this.pausedUntil = Date.now() + failure.retryAfterMs;
        log.warn({ retryAfterMs: failure.retryAfterMs }, "staff group: rate limited, waiting");
        return again();
      case "thread_gone":
      case "thread_closed": {
        const old = item.post.threadId;
        if (old === undefined || item.attempts >= 2) break;
        item.attempts++;
        if (failure.kind === "thread_closed") {
          await this.o.api.reopenTopic(old).catch((e: unknown) => log.warn({ err: String(e) }, "staff group: reopen failed"));
          return again();
        }
        const fresh = await this.o.onThreadGone(old, item.post.contactId).catch((e: unknown) => {
          log.error({ err: String(e) }, "staff group: recreating a topic failed");
          return undefined;
        });
        if (fresh === undefined) break;
        for (const q of [item, ...this.queue]) if (q.post.threadId === old) q.post = { ...q.post, threadId: fresh } as GroupPost;
        return again();
      }
      case "transient":
        if (++item.attempts < MAX_ATTEMPTS) {
          this.pausedUntil = Date.now() + 500 * 2 ** item.attempts;
          return again();
        }
        break;
      case "permanent":
        break;
    }
    log.error({ failure, threadId: item.post.threadId }, "staff group: a post could not be delivered");
  }
}
