import helmet from "@fastify/helmet";
import rateLimit from "@fastify/rate-limit";
import type { FastifyInstance } from "fastify";
import type { Logger } from "pino";
import { installAccessLog } from "./access-log.ts";
import { installErrorHandler } from "./errors.ts";
import { kvRateStore, type CounterPort } from "./rate-store.ts";

/**
 * What every public route gets before any route is registered: security headers,
 * one redacted log line per request, and a limit on refused requests per address
 * (webhooks and the staff API: a wrong secret or signature costs the sender, and
 * after `refusalsPerAddress` in a window every request of that address is answered
 * 429 until the window ends, before any body is read).
 */
export interface EdgeOptions {
  log: Logger;
  counters: CounterPort;
  refusalsPerAddress?: number;
  refusalWindowMs?: number;
}

const GUARDED = /^\/(webhooks|api)\//;

export async function registerEdge(app: FastifyInstance, opts: EdgeOptions): Promise<void> {
  await app.register(helmet, {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        // product photos come from the shop's own hosts (any https URL in flows/)
        imgSrc: ["'self'", "https:", "data:"],
        connectSrc: ["'self'"],
        fontSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
      },
    },
    referrerPolicy: { policy: "same-origin" },
    // the same as frame-ancestors 'none', for browsers that only know this header
    frameguard: { action: "deny" },
    // plain http on a shop's laptop is fine; behind TLS the proxy sets HSTS
    strictTransportSecurity: false,
    crossOriginEmbedderPolicy: false,
  });
  installAccessLog(app, opts.log);
  installErrorHandler(app, { log: opts.log, name: "request" });

  await app.register(rateLimit, { global: false, store: kvRateStore(opts.counters) });
  const refusals = app.createRateLimit({
    max: opts.refusalsPerAddress ?? 30,
    timeWindow: opts.refusalWindowMs ?? 60_000,
    keyGenerator: (req) => `refused:${req.ip}`,
  });
  app.addHook("onRequest", async (req, reply) => {
    if (!GUARDED.test(req.url)) return;
    // a peek: `refusalsPerAddress` refusals used up the allowance
    const r = await refusals(req, { increment: false });
    if (!r.isAllowed && r.remaining <= 0) {
      const seconds = Math.max(1, r.ttlInSeconds);
      return reply
        .code(429)
        .header("retry-after", String(seconds))
        .send({ error: "rate_limited", message: `too many refused requests from this address; try again in ${seconds} s` });
    }
  });
  app.addHook("onResponse", async (req, reply) => {
    if (!GUARDED.test(req.url)) return;
    if (reply.statusCode === 401 || reply.statusCode === 403) await refusals(req);
  });
}
