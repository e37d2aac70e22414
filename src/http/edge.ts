import helmet from "@fastify/helmet";
import type { FastifyInstance } from "fastify";
import type { Logger } from "pino";
import { installAccessLog } from "./access-log.ts";
import { installErrorHandler } from "./errors.ts";
import type { CounterPort } from "./rate-store.ts";
import { installRefusalLimit } from "./refusals.ts";

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

  await installRefusalLimit(app, opts);
}
