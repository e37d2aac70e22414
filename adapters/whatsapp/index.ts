import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { Logger } from "pino";
import { WhatsAppAPI } from "whatsapp-api-js";
import type { WhatsAppConfig } from "./config.ts";
import { sameSecret } from "../../src/http/secrets.ts";
import { WHATSAPP_CAPABILITIES } from "../../src/model/channel.ts";
import type { InboundEvent } from "../../src/model/inbound.ts";
import type { OutboxItem } from "../../src/model/outbound.ts";
import type { EnqueueOutcome } from "../../src/store/port.ts";
import type { AdapterContext, ChannelAdapter, SendResult } from "../../src/channel/port.ts";
import { takeBodyAsIs } from "../../adapters/shared/webhook-edge.ts";
import { GraphHttpError, WhatsAppPayloadError, type GraphError } from "./errors.ts";
import { parseWhatsAppWebhookDetailed } from "./parse.ts";
import { sendItem } from "./send.ts";
import { PhotoCache, type PhotoDeps } from "../../src/photos/cache.ts";
import { verifyWhatsAppSignature } from "./signature.ts";

export { parseWhatsAppWebhook, parseWhatsAppWebhookDetailed } from "./parse.ts";
export { verifyWhatsAppSignature, escapeUnicode } from "./signature.ts";
export { WhatsAppPayloadError, GraphHttpError, mapGraphError } from "./errors.ts";

/** Graph API version the requests are pinned to. */
export const WHATSAPP_API_VERSION = "v24.0";
/** Meta's payloads are up to 3 MB (W7); whatsapp-api-js rejects above 3 MiB with 413 too. */
export const WHATSAPP_BODY_LIMIT = 3 * 1024 * 1024;
const GRAPH = "https://graph.facebook.com";
const REQUEST_TIMEOUT_MS = 15_000;
/** read receipts in flight at once: a 1000-message batch must not open 1000 sockets */
const READ_CONCURRENCY = 4;

export interface WhatsAppAdapterOptions {
  now?: () => number;
  /** used before register() gives the adapter the app's logger */
  log?: Logger;
  /** photo files of the catalogue: uploaded once as media, then sent by media id */
  photos?: PhotoDeps;
}

function urlOf(input: string | URL | Request): string {
  return typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
}

function retryAfter(res: Response): number | undefined {
  const h = res.headers.get("retry-after");
  const s = h === null ? Number.NaN : Number(h);
  return Number.isFinite(s) && s >= 0 ? s * 1000 : undefined;
}

/**
 * fetch for whatsapp-api-js: its host is fixed, so the Graph prefix is rewritten to
 * config.apiBase (a local fake in tests); non-2xx answers throw GraphHttpError so the
 * HTTP status survives (the library would only `.json()` the body); requests time out.
 */
export function graphFetch(apiBase: string): typeof fetch {
  const base = apiBase.replace(/\/+$/, "");
  return async (input, init) => {
    const url = urlOf(input);
    const target = url.startsWith(GRAPH) ? base + url.slice(GRAPH.length) : url;
    const res = await fetch(target, { ...init, signal: init?.signal ?? AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
    if (res.ok) return res;
    const text = await res.text().catch(() => "");
    let graph: GraphError | undefined;
    try {
      const parsed: unknown = JSON.parse(text);
      if (parsed && typeof parsed === "object" && "error" in parsed && parsed.error && typeof parsed.error === "object") {
        graph = parsed.error as GraphError;
      }
    } catch {
      graph = text ? { message: text.slice(0, 200) } : undefined;
    }
    throw new GraphHttpError(res.status, graph, retryAfter(res));
  };
}

/** A tiny queue so read receipts run in the background with bounded concurrency. */
function backgroundQueue(concurrency: number) {
  const jobs: (() => Promise<void>)[] = [];
  let running = 0;
  let idle: (() => void)[] = [];
  const pump = () => {
    while (running < concurrency && jobs.length > 0) {
      const job = jobs.shift()!;
      running++;
      job()
        .catch(() => undefined)
        .finally(() => {
          running--;
          pump();
        });
    }
    if (running === 0 && jobs.length === 0) {
      for (const r of idle) r();
      idle = [];
    }
  };
  return {
    push(job: () => Promise<void>) {
      jobs.push(job);
      pump();
    },
    drained(): Promise<void> {
      return running === 0 && jobs.length === 0 ? Promise.resolve() : new Promise((r) => idle.push(r));
    },
  };
}

export function createWhatsAppAdapter(config: WhatsAppConfig, opts: WhatsAppAdapterOptions = {}): ChannelAdapter {
  const now = opts.now ?? Date.now;
  let log: Logger | undefined = opts.log;
  const api = new WhatsAppAPI({
    token: config.accessToken,
    appSecret: config.appSecret,
    webhookVerifyToken: config.verifyToken,
    v: WHATSAPP_API_VERSION,
    ponyfill: { fetch: graphFetch(config.apiBase) },
  });
  const reads = backgroundQueue(READ_CONCURRENCY);
  // media ids belong to the business number that uploaded them
  const photos = opts.photos ? new PhotoCache(opts.photos, "whatsapp", config.phoneNumberId) : undefined;

  function markRead(events: InboundEvent[], outcomes: EnqueueOutcome[]): void {
    events.forEach((ev, i) => {
      // a redelivered message was marked read the first time
      if (ev.type !== "message" || outcomes[i] === "duplicate") return;
      reads.push(async () => {
        try {
          const res = await api.markAsRead(config.phoneNumberId, ev.platformMessageId);
          if ("error" in res && res.error) throw new GraphHttpError(200, res.error, undefined);
        } catch (err) {
          log?.warn({ err, wamid: ev.platformMessageId }, "whatsapp: mark as read failed");
        }
      });
    });
  }

  async function verifyRoute(req: FastifyRequest, reply: FastifyReply) {
    const q = (req.query ?? {}) as Record<string, unknown>;
    const mode = q["hub.mode"];
    const token = q["hub.verify_token"];
    const challenge = q["hub.challenge"];
    if (mode === "subscribe" && sameSecret(token, config.verifyToken) && typeof challenge === "string") {
      return reply.code(200).type("text/plain").send(challenge);
    }
    return reply.code(403).type("text/plain").send("verification failed");
  }

  async function webhookRoute(ctx: AdapterContext, req: FastifyRequest, reply: FastifyReply) {
    const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const signature = req.headers["x-hub-signature-256"];
    if (!verifyWhatsAppSignature(raw, typeof signature === "string" ? signature : undefined, config.appSecret)) {
      ctx.log.debug({ hasSignature: signature !== undefined }, "whatsapp: webhook signature rejected");
      return reply.code(401).send({ error: "invalid X-Hub-Signature-256" });
    }
    let body: unknown;
    try {
      body = JSON.parse(raw.toString("utf8"));
    } catch {
      return reply.code(400).send({ error: "body is not valid JSON" });
    }
    let events: InboundEvent[];
    try {
      const parsed = parseWhatsAppWebhookDetailed(body);
      events = parsed.events;
      if (parsed.skipped > 0) ctx.log.warn({ skipped: parsed.skipped }, "whatsapp: skipped malformed updates in a webhook batch");
    } catch (err) {
      if (err instanceof WhatsAppPayloadError) return reply.code(400).send({ error: err.message });
      throw err;
    }
    if (events.length === 0) return reply.code(200).send({ ok: true, events: 0 });
    let outcomes: EnqueueOutcome[];
    try {
      outcomes = await ctx.ingest(events);
    } catch (err) {
      // Meta redelivers on non-200 (W5); the store dedupes by wamid.
      ctx.log.error({ err, events: events.length }, "whatsapp: ingest failed");
      return reply.code(500).send({ error: "ingest failed" });
    }
    markRead(events, outcomes);
    return reply.code(200).send({ ok: true, events: events.length });
  }

  return {
    channel: "whatsapp",
    capabilities: WHATSAPP_CAPABILITIES,
    rate: { perSecond: config.ratePerSecond, perChatPerSecond: 1, perChatBurst: 10 },

    async register(app: FastifyInstance, ctx: AdapterContext) {
      log = ctx.log;
      // Encapsulated, so the raw-body parser applies to these routes only.
      await app.register(async (scope) => {
        // The signature covers the exact bytes, so the body stays a Buffer whatever its content type.
        takeBodyAsIs(scope, "buffer", WHATSAPP_BODY_LIMIT);
        scope.get("/webhooks/whatsapp", verifyRoute);
        scope.post("/webhooks/whatsapp", { bodyLimit: WHATSAPP_BODY_LIMIT }, (req, reply) => webhookRoute(ctx, req, reply));
      });
    },

    send(item: OutboxItem): Promise<SendResult> {
      return sendItem({ api, phoneNumberId: config.phoneNumberId, template: config.template, now, ...(photos ? { photos } : {}) }, item);
    },

    async stop() {
      await reads.drained();
    },
  };
}
