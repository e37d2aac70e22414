import type { Logger } from "pino";
import type { Ingest } from "../types.ts";
import { describeError } from "./errors.ts";
import { parseUpdate } from "./parse.ts";

export type AnswerCallback = (callbackQueryId: string) => Promise<unknown>;

/**
 * One update, from a webhook or getUpdates: parse, ingest, then answer a pressed
 * button. Throws TelegramUpdateError for a bad shape and whatever ingest throws, so
 * the caller decides between "skip" and "let Telegram redeliver".
 */
export async function intakeUpdate(
  update: unknown,
  ingest: Ingest,
  answerCallback: AnswerCallback,
  log: Logger,
): Promise<number> {
  const parsed = parseUpdate(update);
  if (parsed.events.length > 0) await ingest(parsed.events);
  const id = parsed.callbackQueryId;
  if (id !== undefined) {
    // not awaited: the event is queued already, and a slow answer must not hold the webhook
    answerCallback(id).catch((err: unknown) =>
      log.warn({ err: describeError(err), callbackQueryId: id }, "telegram: answerCallbackQuery failed"),
    );
  }
  return parsed.events.length;
}
