import { GrammyError, type Api } from "grammy";
import type { Update } from "grammy/types";
import type { Logger } from "pino";
import type { Ingest } from "../../src/channel/port.ts";
import { PollLoop } from "../../adapters/shared/poll-loop.ts";
import { describeError } from "./errors.ts";
import { answerCallbackApi, intakeUpdate, type AnswerCallback } from "./intake.ts";
import { TelegramUpdateError } from "./parse.ts";
import type { StaffGroupRoute } from "./staff-group.ts";
import { ALLOWED_UPDATES } from "./setup.ts";

export interface PollerOptions {
  api: Api;
  ingest: Ingest;
  /** the staff group's updates go to the staff desk instead of ingest */
  staff?: StaffGroupRoute;
  answerCallback: AnswerCallback;
  log: Logger;
  /** long-poll wait; keep below the client's timeoutSeconds */
  timeoutSeconds: number;
}

/** grammY types its signal parameter with the abort-controller polyfill; Node's works the same at run time */
type GrammySignal = NonNullable<Parameters<Api["getUpdates"]>[1]>;

/**
 * A getUpdates loop of our own (not bot.start) so the offset only moves past an update
 * once ingest has queued it: if the store is down the same batch is fetched again.
 * A malformed update is logged and skipped, never fatal.
 */
export class Poller extends PollLoop {
  private readonly signal = this.abort.signal as unknown as GrammySignal;
  private offset: number | undefined;
  private confirmed: number | undefined;

  private readonly o: PollerOptions;

  constructor(options: PollerOptions) {
    super("telegram", options.log, describeError);
    this.o = options;
  }

  override async stop(): Promise<void> {
    await super.stop();
    // tell Telegram what we have taken, so a restart does not fetch it again (dedupe would cope)
    if (this.offset !== undefined && this.offset !== this.confirmed) {
      await this.o.api
        .getUpdates({ offset: this.offset, limit: 1, timeout: 0 })
        .catch((err: unknown) => this.o.log.debug({ err: describeError(err) }, "telegram: final offset confirm failed"));
    }
  }

  protected async run(): Promise<void> {
    const { api, log } = this.o;
    while (!this.stopped) {
      try {
        await api.deleteWebhook({ drop_pending_updates: false }, this.signal);
        break;
      } catch (err) {
        if (this.stopped) return;
        log.error({ err: describeError(err) }, "telegram: deleteWebhook failed; retrying");
        await this.backoff(retryAfterMs(err));
      }
    }
    log.info("telegram: long polling started");
    while (!this.stopped) {
      let updates: Update[];
      try {
        updates = await api.getUpdates(
          {
            ...(this.offset !== undefined ? { offset: this.offset } : {}),
            timeout: this.o.timeoutSeconds,
            allowed_updates: [...ALLOWED_UPDATES],
          },
          this.signal,
        );
        this.confirmed = this.offset;
        if (updates.length === 0) this.failures = 0;
      } catch (err) {
        if (this.stopped) return;
        log.warn({ err: describeError(err) }, "telegram: getUpdates failed");
        await this.backoff(retryAfterMs(err));
        continue;
      }
      for (const update of updates) {
        if (this.stopped) return;
        try {
          const callbackQueryId = await intakeUpdate(update, this.o.ingest, this.o.staff);
          if (callbackQueryId !== undefined) answerCallbackApi(this.o.answerCallback, callbackQueryId, log);
        } catch (err) {
          if (!(err instanceof TelegramUpdateError)) {
            // ingest failed: keep the offset so this update is fetched again
            log.error({ err }, "telegram: ingest failed; will fetch the update again");
            await this.backoff(retryAfterMs(err));
            break;
          }
          log.warn({ err: err.message }, "telegram: skipped malformed update");
        }
        this.offset = update.update_id + 1;
        this.failures = 0;
      }
    }
  }

}

/** a 429's retry_after, which the backoff waits instead of its own */
function retryAfterMs(err: unknown): number | undefined {
  if (err instanceof GrammyError && err.error_code === 429 && err.parameters.retry_after !== undefined) {
    return err.parameters.retry_after * 1000;
  }
  return undefined;
}
