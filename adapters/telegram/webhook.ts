import type { FastifyInstance } from "fastify";
import type { Logger } from "pino";
import { installErrorHandler } from "../../src/http/errors.ts";
import type { Ingest } from "../../src/channel/port.ts";
import { secretHeaderCheck, WEBHOOK_BODY_LIMIT } from "../../adapters/shared/webhook-edge.ts";
import { intakeUpdate } from "./intake.ts";
import type { StaffGroupRoute } from "./staff-group.ts";
import { TelegramUpdateError } from "./parse.ts";
import { answerPreCheckout, paymentIntake } from "./payments.ts";
import type { Order } from "../../src/model/domain.ts";

export const TELEGRAM_WEBHOOK_PATH = "/webhooks/telegram";
export const SECRET_HEADER = "x-telegram-bot-api-secret-token";

export interface WebhookDeps {
  /** without a secret (polling mode) every request is refused */
  secret: string | undefined;
  ingest: Ingest;
  log: Logger;
  /** the staff group's updates go here instead of ingest */
  staff?: StaffGroupRoute;
  /** for pre-checkout answers (payments); without it a pre-checkout is refused */
  findOrder?: (id: string) => Promise<Order | null>;
}

/**
 * POST /webhooks/telegram. 200 once the events are queued, also for updates we
 * ignore; 500 when ingest fails so Telegram redelivers (the store dedupes by
 * update_id); 400 for a body that is not an update at all; 401 before the body is
 * even read when the secret header is wrong.
 *
 * A pressed button is answered in the 200 itself: Telegram runs a Bot API method
 * given as the webhook's response body ("making requests when getting updates" in
 * the Bot API docs). The client's spinner stops as soon as the press is safely
 * queued, and the bot makes one HTTP call fewer per press. The answer's outcome is
 * not reported back, which for answerCallbackQuery (no result worth having) is fine.
 */
export async function registerTelegramWebhook(app: FastifyInstance, deps: WebhookDeps): Promise<void> {
  const { log } = deps;
  if (deps.secret === undefined) log.warn("telegram: no webhook secret configured; the webhook route refuses all requests");

  await app.register(async (scope) => {
    // errors fastify raises itself (bad JSON 400, too large 413, media type 415) as plain JSON
    installErrorHandler(scope, { log, name: "telegram webhook" });

    const checkSecret = secretHeaderCheck(SECRET_HEADER, deps.secret, "secret token is missing or wrong");

    scope.post(TELEGRAM_WEBHOOK_PATH, { bodyLimit: WEBHOOK_BODY_LIMIT, onRequest: checkSecret }, async (req, reply) => {
      try {
        // payments: the pre-checkout is answered in this response (Telegram waits 10 s at most)
        const payment = paymentIntake(req.body);
        if (payment?.kind === "pre_checkout") {
          const answer = await answerPreCheckout(payment.query, deps.findOrder ?? (async () => null));
          if (!answer.ok) log.info({ order: payment.query.invoice_payload, reason: answer.error_message }, "telegram: pre-checkout refused");
          return reply.code(200).send(answer);
        }
        if (payment?.kind === "paid") {
          await deps.ingest([payment.event]);
          return reply.code(200).send();
        }
        const callbackQueryId = await intakeUpdate(req.body, deps.ingest, deps.staff);
        if (callbackQueryId !== undefined) {
          return reply.code(200).send({ method: "answerCallbackQuery", callback_query_id: callbackQueryId });
        }
      } catch (err) {
        if (err instanceof TelegramUpdateError) {
          if (err.updateId === undefined) return reply.code(400).send({ error: "bad_update", message: err.message });
          // an update whose known fields we cannot read: redelivery would not help
          log.warn({ err: err.message, updateId: err.updateId }, "telegram: skipped malformed update");
          return reply.code(200).send();
        }
        log.error({ err }, "telegram: ingest failed; Telegram will redeliver");
        return reply.code(500).send({ error: "ingest_failed", message: "try again later" });
      }
      return reply.code(200).send();
    });
  });
}
