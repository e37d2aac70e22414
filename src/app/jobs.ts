import { singleFlight } from "../pipeline/single-flight.ts";

/** a periodic job: `run()` now (tests, a wake-up), `stop()` ends its timers and waits out a run */
export interface Job<A extends unknown[], T> {
  run(...args: A): Promise<T>;
  stop(): Promise<void>;
}

export interface EveryOptions<T> {
  log: { error(obj: object, msg: string): void };
  /** what a failed run answers (the failure is logged under the job's name) */
  failed: T;
  /** the first run, when it should come sooner than `ms` after start */
  firstMs?: number;
}

/**
 * Runs `fn` every `ms` (timers unref'd: they never keep the process up), one run at a
 * time: a call made while a run is in flight waits for it and a fresh one
 * (src/pipeline/single-flight.ts), so that run sees what the caller changed before.
 */
export function every<A extends unknown[], T>(name: string, ms: number, fn: (...args: A) => Promise<T>, opts: EveryOptions<T>): Job<A, T> {
  let current: Promise<T> | undefined;
  const flight = singleFlight(async (...args: A): Promise<T> => {
    try {
      return await fn(...args);
    } catch (err) {
      opts.log.error({ err }, name);
      return opts.failed;
    }
  });
  const run = (...args: A): Promise<T> => (current = flight(...args));
  const fire = () => void run(...([] as unknown as A));
  const first = opts.firstMs === undefined ? undefined : setTimeout(fire, opts.firstMs);
  const loop = setInterval(fire, ms);
  first?.unref();
  loop.unref();
  return {
    run,
    async stop() {
      clearTimeout(first);
      clearInterval(loop);
      await current;
    },
  };
}
