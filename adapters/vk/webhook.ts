import type { FastifyInstance } from "fastify";
import type { Logger } from "pino";
import { installErrorHandler } from "../../src/http/errors.ts";
import { sameSecret } from "../../src/http/secrets.ts";
import type { Ingest } from "../../src/channel/port.ts";
import { takeBodyAsIs, WEBHOOK_BODY_LIMIT } from "../../adapters/shared/webhook-edge.ts";
import { parseVkEnvelope, parseVkUpdate, VkParseError, type VkEventAnswer } from "./parse.ts";

export const VK_WEBHOOK_PATH = "/webhooks/vk";

export interface VkWebhookDeps {
  groupId: number;
  secret: string;
  confirmationCode: string;
  ingest: Ingest;
  /** messages.sendMessageEventAnswer; failures are logged, never answered to VK */
  answerEvent: (answer: VkEventAnswer) => Promise<void>;
  log: Logger;
}

/**
 * POST /webhooks/vk (Callback API, V1–V4). Answers `ok` to every authentic event
 * once its events are queued, also to kinds we ignore, because VK retries anything
 * else and eventually stops sending (V1); 500 when ingest fails so VK redelivers
 * (the store dedupes by event_id); 403 for a wrong secret or group; 400 for a body
 * that is not an event at all. vk-io's handleWebhookUpdate checks no secret, so
 * this route does not use it.
 */
export async function registerVkWebhook(app: FastifyInstance, deps: VkWebhookDeps): Promise<void> {
  const { log } = deps;
  await app.register(async (scope) => {
    // Our own parser for any content type: VK's Content-Type is not something to
    // bet the 400-vs-415 answer on, and JSON errors become our 400.
    takeBodyAsIs(scope, "string", WEBHOOK_BODY_LIMIT);
    installErrorHandler(scope, { log, name: "vk webhook", format: "text" });

    scope.post(VK_WEBHOOK_PATH, { bodyLimit: WEBHOOK_BODY_LIMIT }, async (req, reply) => {
      const text = (status: number, body: string) => reply.code(status).type("text/plain; charset=utf-8").send(body);

      let body: unknown;
      try {
        body = JSON.parse(typeof req.body === "string" ? req.body : "");
      } catch {
        return text(400, "body is not JSON");
      }
      let envelope;
      try {
        envelope = parseVkEnvelope(body);
      } catch (err) {
        if (err instanceof VkParseError) return text(400, err.message);
        throw err;
      }

      const groupOk = envelope.group_id === deps.groupId;
      if (envelope.type === "confirmation") {
        // a secret is optional on confirmation; when present it must be ours
        if (!groupOk || (envelope.secret !== undefined && !sameSecret(envelope.secret, deps.secret))) {
          log.debug({ groupId: envelope.group_id }, "vk: confirmation for another group or with a wrong secret");
          return text(403, "forbidden");
        }
        return text(200, deps.confirmationCode);
      }
      if (!sameSecret(envelope.secret, deps.secret) || !groupOk) {
        log.debug({ type: envelope.type, groupId: envelope.group_id }, "vk: event with a wrong secret or group refused");
        return text(403, "forbidden");
      }

      const update = parseVkUpdate(body);
      if (update.skipped) log.debug({ type: envelope.type, eventId: envelope.event_id, why: update.skipped }, "vk: event skipped");
      if (update.events.length > 0) {
        try {
          await deps.ingest(update.events);
        } catch (err) {
          log.error({ err, eventId: envelope.event_id }, "vk: ingest failed; VK will redeliver");
          return text(500, "try again later");
        }
      }
      // Answered even when the event was a duplicate: a crash between ingest and this
      // call would otherwise leave the button spinning; a second answer at worst fails
      // (logged). Not awaited: VK's `ok` must not wait on an outbound API call.
      if (update.answer) {
        const answer = update.answer;
        deps.answerEvent(answer).catch((err: unknown) => {
          log.warn({ err, eventId: answer.event_id }, "vk: sendMessageEventAnswer failed");
        });
      }
      return text(200, "ok");
    });
  });
}
