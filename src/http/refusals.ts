import rateLimit from "@fastify/rate-limit";
import type { FastifyInstance } from "fastify";
import { kvRateStore, type CounterPort } from "./rate-store.ts";

const GUARDED = /^\/(webhooks|api)\//;

/**
 * The limit on refused requests per address (src/http/edge.ts): a 401 or 403 on a
 * webhook or /api counts, and an address past `refusalsPerAddress` in a window is
 * answered 429 before any body is read, until the window ends.
 */
export async function installRefusalLimit(app: FastifyInstance, opts: { counters: CounterPort; refusalsPerAddress?: number; refusalWindowMs?: number }): Promise<void> {
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
