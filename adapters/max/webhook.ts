import type { FastifyInstance } from "fastify";
import type { Logger } from "pino";
import { installErrorHandler } from "../../src/http/errors.ts";
import type { Ingest } from "../../src/channel/port.ts";
import { secretHeaderCheck, WEBHOOK_BODY_LIMIT } from "../../adapters/shared/webhook-edge.ts";
import { MaxUpdateError, parseMaxUpdate } from "./parse.ts";

export const MAX_WEBHOOK_PATH = "/webhooks/max";
/** M3: MAX sends the subscription's secret in this header on every call */
export const SECRET_HEADER = "x-max-bot-api-secret";

export interface WebhookDeps {
  /** without a secret (polling mode) every request is refused */
  secret: string | undefined;
  ingest: Ingest;
  /** answer a pressed button once its event is queued; never awaited by the route */
  answerCallback: (callbackId: string) => void;
  log: Logger;
}

/**
 * POST /webhooks/max. 401 before the body is read when the secret is wrong; 400 for a
 * body that is not an update; 200 once the events are queued (also for update types we
 * ignore, and for an update whose known fields are unreadable: redelivery would not
 * help); 500 when ingest fails, so MAX delivers it again and the store dedupes.
 * MAX drops a subscription after 8 hours without a 200 (M4), so nothing we can read
 * past the secret is ever refused for long.
 */
export async function registerMaxWebhook(app: FastifyInstance, deps: WebhookDeps): Promise<void> {
  const { log } = deps;
  if (deps.secret === undefined) log.warn("max: no webhook secret configured; the webhook route refuses all requests");

  await app.register(async (scope) => {
    // errors fastify raises itself (bad JSON 400, too large 413, media type 415) as plain JSON
    installErrorHandler(scope, { log, name: "max webhook" });

    const checkSecret = secretHeaderCheck(SECRET_HEADER, deps.secret, "X-Max-Bot-Api-Secret is missing or wrong");

    scope.post(MAX_WEBHOOK_PATH, { bodyLimit: WEBHOOK_BODY_LIMIT, onRequest: checkSecret }, async (req, reply) => {
      let parsed;
      try {
        parsed = parseMaxUpdate(req.body);
      } catch (err) {
        if (!(err instanceof MaxUpdateError)) throw err;
        if (err.updateType === undefined) return reply.code(400).send({ error: "bad_update", message: err.message });
        log.warn({ err: err.message, updateType: err.updateType }, "max: skipped malformed update");
        return reply.code(200).send({ ok: true });
      }
      try {
        if (parsed.events.length > 0) await deps.ingest(parsed.events);
      } catch (err) {
        log.error({ err }, "max: ingest failed; MAX will deliver again");
        return reply.code(500).send({ error: "ingest_failed", message: "try again later" });
      }
      if (parsed.callbackId !== undefined) deps.answerCallback(parsed.callbackId);
      return reply.code(200).send({ ok: true });
    });
  });
}
