import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { sameSecret } from "../../src/http/secrets.ts";

/** Webhook updates are a few KiB; a body near this is not from the platform (WhatsApp's are bigger: W7). */
export const WEBHOOK_BODY_LIMIT = 1024 * 1024;

/**
 * An onRequest hook that answers 401 before the body is read unless `header` carries
 * `secret` (constant-time, src/http/secrets.ts). Without a secret (polling mode)
 * every request is refused.
 */
export function secretHeaderCheck(header: string, secret: string | undefined, message: string) {
  return async (req: FastifyRequest, reply: FastifyReply) => {
    if (!sameSecret(req.headers[header], secret)) {
      return reply.code(401).send({ error: "unauthorized", message });
    }
  };
}

/**
 * The scope's bodies as sent, whatever their content type: a string or a Buffer for
 * the route to verify and parse itself (a signature covers the exact bytes; a JSON
 * error becomes the route's own 400, not fastify's 415).
 */
export function takeBodyAsIs(scope: FastifyInstance, parseAs: "string" | "buffer", bodyLimit: number): void {
  scope.removeAllContentTypeParsers();
  scope.addContentTypeParser("*", { parseAs, bodyLimit }, (_req, body, done) => {
    done(null, body);
  });
}
