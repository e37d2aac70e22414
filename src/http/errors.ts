import type { FastifyError, FastifyInstance } from "fastify";
import type { Logger } from "pino";

export interface ErrorHandlerOptions {
  log: Logger;
  /** names the route family in the log line ("telegram webhook") */
  name: string;
  /** VK reads plain text; everything else answers JSON */
  format?: "json" | "text";
}

/**
 * Errors fastify raises itself (bad JSON 400, too large 413, media type 415, 429)
 * keep their status and a short message; anything else is a 500 whose details go to
 * the log only. A 4xx is not logged here: a forged or broken request costs the
 * request log line and nothing more.
 */
export function installErrorHandler(scope: FastifyInstance, opts: ErrorHandlerOptions): void {
  scope.setErrorHandler((err: FastifyError, _req, reply) => {
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    if (status === 500) opts.log.error({ err }, `${opts.name} failed`);
    const message = status === 500 ? "internal error" : err.message;
    if (opts.format === "text") return reply.code(status).type("text/plain; charset=utf-8").send(message);
    return reply.code(status).send({ error: err.code ?? (status === 500 ? "internal_error" : "error"), message });
  });
}
