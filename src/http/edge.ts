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
  // Which addresses used up their allowance, and until when: the peek on every webhook
  // is a map lookup, not a store write. The count itself is the store's (shared across
  // instances), so another instance blocks an address at its first refusal there.
  const blocked = new BlockedAddresses();
  app.addHook("onRequest", async (req, reply) => {
    if (!GUARDED.test(req.url)) return;
    const ms = blocked.remaining(req.ip, Date.now());
    if (ms > 0) {
      const seconds = Math.max(1, Math.ceil(ms / 1000));
      return reply
        .code(429)
        .header("retry-after", String(seconds))
        .send({ error: "rate_limited", message: `too many refused requests from this address; try again in ${seconds} s` });
    }
  });
  app.addHook("onResponse", async (req, reply) => {
    if (!GUARDED.test(req.url)) return;
    if (reply.statusCode !== 401 && reply.statusCode !== 403) return;
    const r = await refusals(req);
    if (!r.isAllowed && r.remaining <= 0) blocked.block(req.ip, Date.now() + Math.max(1, r.ttlInSeconds) * 1000);
  });
}

/** addresses blocked until a time, at most `cap` of them (the oldest block goes first) */
class BlockedAddresses {
  private readonly until = new Map<string, number>();
  constructor(private readonly cap = 10_000) {}

  block(ip: string, until: number): void {
    this.until.delete(ip);
    this.until.set(ip, until);
    if (this.until.size > this.cap) this.until.delete(this.until.keys().next().value!);
  }

  /** ms left of the address's block, 0 when it is not blocked */
  remaining(ip: string, now: number): number {
    const until = this.until.get(ip);
    if (until === undefined) return 0;
    if (until > now) return until - now;
    this.until.delete(ip);
    return 0;
  }
}
