import type { Logger } from "pino";
import type { Ingest } from "../../src/channel/port.ts";
import { describeError } from "./errors.ts";
import { parseUpdate } from "./parse.ts";
import { chatOfUpdate, parseStaffGroupUpdate, type StaffGroupRoute } from "./staff-group.ts";

export type AnswerCallback = (callbackQueryId: string) => Promise<unknown>;

/**
 * One update, from a webhook or getUpdates: parse and ingest; answers the callback
 * query id of a pressed button (the client shows a spinner until it is answered). Throws
 * TelegramUpdateError for a bad shape and whatever ingest throws, so the caller
 * decides between "skip" and "let Telegram redeliver"; a pressed button is answered
 * by the caller once the event is queued (the webhook in its response, polling by
 * a call: answerCallbackApi).
 */
export async function intakeUpdate(update: unknown, ingest: Ingest, staff?: StaffGroupRoute): Promise<string | undefined> {
  // the shop's staff group is not a customer: its messages go to the staff desk, never to ingest
  if (staff && chatOfUpdate(update) === staff.chatId) {
    const message = parseStaffGroupUpdate(update);
    if (message && staff.handler) await staff.handler(message);
    return undefined;
  }
  const parsed = parseUpdate(update);
  if (parsed.events.length > 0) await ingest(parsed.events);
  return parsed.callbackQueryId;
}

/** answer a pressed button with a Bot API call; not awaited: a slow answer must not hold the intake */
export function answerCallbackApi(answer: AnswerCallback, id: string, log: Logger): void {
  answer(id).catch((err: unknown) =>
    log.warn({ err: describeError(err), callbackQueryId: id }, "telegram: answerCallbackQuery failed"),
  );
}
