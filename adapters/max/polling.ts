import type { Api } from "@maxhub/max-bot-api";
import type { Logger } from "pino";
import type { Ingest } from "../../src/channel/port.ts";
import { PollLoop } from "../../adapters/shared/poll-loop.ts";
import { describeError } from "./errors.ts";
import { MaxUpdateError, parseMaxUpdate, UPDATE_TYPES } from "./parse.ts";

/** Where the long-poll marker is kept, so a restart resumes after the last queued update. */
export interface MarkerStore {
  get(): Promise<number | undefined>;
  set(marker: number): Promise<void>;
}

export interface MaxPollerOptions {
  api: Api;
  ingest: Ingest;
  answerCallback: (callbackId: string) => void;
  marker: MarkerStore;
  log: Logger;
  /** GET /updates wait in seconds (M7: 0-90) */
  timeoutSeconds: number;
}

/**
 * A GET /updates loop of our own (not bot.start) so the marker moves past a batch only
 * once ingest has queued every update in it: if the store is down the same batch is
 * fetched again with the old marker. The marker is written to the key-value store after
 * each batch, so a restart (or a crash) fetches at most the batch in hand again, which
 * the journal's dedupe absorbs. A malformed update is logged and skipped.
 */
export class MaxPoller extends PollLoop {
  constructor(private readonly o: MaxPollerOptions) {
    super("max", o.log, describeError);
  }

  protected async run(): Promise<void> {
    const { api, log } = this.o;
    let marker = await this.o.marker.get();
    log.info({ marker }, "max: long polling started");
    while (!this.stopped) {
      let batch: Awaited<ReturnType<Api["getUpdates"]>>;
      try {
        const signal = AbortSignal.any([this.abort.signal, AbortSignal.timeout((this.o.timeoutSeconds + 10) * 1000)]);
        batch = await api.getUpdates([...UPDATE_TYPES], {
          timeout: this.o.timeoutSeconds,
          ...(marker !== undefined ? { marker } : {}),
          signal,
        });
      } catch (err) {
        if (this.stopped) return;
        log.warn({ err: describeError(err) }, "max: GET /updates failed");
        await this.backoff();
        continue;
      }
      let ok = true;
      for (const update of batch.updates) {
        if (this.stopped) return;
        try {
          const parsed = parseMaxUpdate(update);
          if (parsed.events.length > 0) await this.o.ingest(parsed.events);
          if (parsed.callbackId !== undefined) this.o.answerCallback(parsed.callbackId);
        } catch (err) {
          if (err instanceof MaxUpdateError) {
            log.warn({ err: err.message }, "max: skipped malformed update");
            continue;
          }
          // ingest failed: keep the old marker so this batch is fetched again
          log.error({ err }, "max: ingest failed; will fetch the batch again");
          ok = false;
          break;
        }
      }
      if (!ok) {
        await this.backoff();
        continue;
      }
      this.failures = 0;
      if (typeof batch.marker === "number" && batch.marker !== marker) {
        marker = batch.marker;
        await this.o.marker.set(marker).catch((err: unknown) => log.warn({ err }, "max: could not save the polling marker"));
      }
    }
  }
}
