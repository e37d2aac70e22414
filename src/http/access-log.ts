import type { FastifyInstance } from "fastify";
import type { Logger } from "pino";
import { redactUrl } from "./redact.ts";

/**
 * One short line per request (method, redacted URL, status, ms) instead of fastify's
 * two. Refusals (401/403/429) of the public routes are sampled: the first few per
 * second of each kind are logged, the rest counted and reported with the next line,
 * so a flood of forged webhooks cannot flood the log.
 */
const REFUSALS_PER_SECOND = 5;

export function installAccessLog(app: FastifyInstance, log: Logger): void {
  let second = 0;
  const seen = new Map<string, number>();
  let suppressed = 0;
  app.addHook("onResponse", async (req, reply) => {
    const status = reply.statusCode;
    const line: Record<string, unknown> = {
      m: req.method,
      url: redactUrl(req.url),
      s: status,
      ms: Math.round(reply.elapsedTime),
    };
    if (status === 401 || status === 403 || status === 429) {
      const now = Math.floor(Date.now() / 1000);
      if (now !== second) {
        second = now;
        seen.clear();
      }
      const kind = `${status} ${req.routeOptions.url ?? "?"}`;
      const n = (seen.get(kind) ?? 0) + 1;
      seen.set(kind, n);
      if (n > REFUSALS_PER_SECOND) {
        suppressed++;
        return;
      }
    }
    if (suppressed > 0) {
      line.suppressed = suppressed;
      suppressed = 0;
    }
    if (status >= 500) log.warn(line, "request");
    else log.info(line, "request");
  });
}
