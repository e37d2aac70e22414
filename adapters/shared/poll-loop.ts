import type { Logger } from "pino";

/** the longest wait between failed long-poll rounds */
export const POLL_MAX_BACKOFF_MS = 30_000;

/** A long-poll loop's wait after its `failures`-th failure in a row: 0.5 s doubling, at most 30 s. */
export function pollBackoffMs(failures: number): number {
  return Math.min(POLL_MAX_BACKOFF_MS, 500 * 2 ** Math.min(failures - 1, 6));
}

/** Waits `ms`, or less when `signal` aborts (the poller is stopping); never rejects. */
export function sleepUnlessAborted(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => {
      clearTimeout(timer);
      resolve();
    }, { once: true });
  });
}

/**
 * The life of a long-poll loop (Telegram's getUpdates, MAX's GET /updates): `run` once
 * on start, stop() aborts it and waits for it to end, a failure backs off (cut short
 * by stop). What one round fetches and when it counts as done is the platform's.
 */
export abstract class PollLoop {
  protected readonly abort = new AbortController();
  private loop: Promise<void> | undefined;
  protected failures = 0;

  protected constructor(
    private readonly channelName: string,
    private readonly loopLog: Logger,
    private readonly describe: (err: unknown) => string,
  ) {}

  protected abstract run(): Promise<void>;

  start(): void {
    this.loop ??= this.run().catch((err: unknown) => this.loopLog.error({ err: this.describe(err) }, `${this.channelName}: polling loop ended`));
  }

  async stop(): Promise<void> {
    if (!this.loop) return;
    this.abort.abort();
    await this.loop;
  }

  protected get stopped(): boolean {
    return this.abort.signal.aborted;
  }

  /** exponential backoff (or `ms` when the platform said how long); cut short by stop() */
  protected async backoff(ms?: number): Promise<void> {
    this.failures++;
    await sleepUnlessAborted(ms ?? pollBackoffMs(this.failures), this.abort.signal);
  }
}
