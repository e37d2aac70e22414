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
