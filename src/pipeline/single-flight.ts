/**
 * One run of `job` at a time. A call made while a run is in flight does not return
 * early: it waits for that run and then one more, so whatever the caller changed before
 * calling (the test clock moved, a timer written) is seen by a run that started after it.
 * Calls that pile up during a run share that one re-run.
 */
export function singleFlight(job: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | undefined;
  let queued: Promise<void> | undefined;
  const start = (): Promise<void> =>
    (running = job().finally(() => {
      running = undefined;
    }));
  return () => {
    if (!running) return start();
    queued ??= running.then(noop, noop).then(() => {
      queued = undefined;
      return start();
    });
    return queued;
  };
}

function noop(): void {}
