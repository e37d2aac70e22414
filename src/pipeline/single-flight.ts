/**
 * One run of `job` at a time. A call made while a run is in flight does not return
 * early: it waits for that run and then one more, so whatever the caller changed before
 * calling (the test clock moved, a timer written) is seen by a run that started after it.
 * Calls that pile up during a run share that one re-run (with the last caller's arguments).
 */
export function singleFlight<A extends unknown[], T>(job: (...args: A) => Promise<T>): (...args: A) => Promise<T> {
  let running: Promise<T> | undefined;
  let queued: Promise<T> | undefined;
  let nextArgs: A;
  const start = (args: A): Promise<T> =>
    (running = job(...args).finally(() => {
      running = undefined;
    }));
  return (...args) => {
    if (!running) return start(args);
    nextArgs = args;
    queued ??= running.then(noop, noop).then(() => {
      queued = undefined;
      return start(nextArgs);
    });
    return queued;
  };
}

function noop(): void {}
