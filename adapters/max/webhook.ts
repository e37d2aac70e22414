import { sameSecret } from "../../src/http/secrets.ts";
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { Logger } from "pino";
import type { Ingest } from "../../src/channel/port.ts";
import { MaxUpdateError, parseMaxUpdate } from "./parse.ts";

export const MAX_WEBHOOK_PATH = "/webhooks/max";
/** M3: MAX sends the subscription's secret in this header on every call */
export const SECRET_HEADER = "x-max-bot-api-secret";
/** updates are a few KiB; anything near this is not from MAX */
export const WEBHOOK_BODY_LIMIT = 1024 * 1024;

export interface WebhookDeps {
  /** without a secret (polling mode) every request is refused */
  secret: string | undefined;
  ingest: Ingest;
  /** answer a pressed button once its event is queued; never awaited by the route */
  answerCallback: (callbackId: string) => void;
  log: Logger;
}

/** the shared constant-time comparison (src/http/secrets.ts) */
export const maxSecretMatches = sameSecret;

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
    scope.setErrorHandler((err: FastifyError, _req, reply) => {
      const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
      if (status === 500) log.error({ err }, "max webhook failed");
      return reply.code(status).send({ error: err.code ?? "error", message: status === 500 ? "internal error" : err.message });
    });

    const checkSecret = async (req: FastifyRequest, reply: FastifyReply) => {
      if (!maxSecretMatches(req.headers[SECRET_HEADER], deps.secret)) {
        return reply.code(401).send({ error: "unauthorized", message: "X-Max-Bot-Api-Secret is missing or wrong" });
      }
    };

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
