import { randomUUID } from "node:crypto";
import rateLimit from "@fastify/rate-limit";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import { installErrorHandler } from "../../src/http/errors.ts";
import { kvRateStore, type CounterPort } from "../../src/http/rate-store.ts";
import { badRequestBody } from "../../src/http/zod-error.ts";
import { WEB_CAPABILITIES } from "../../src/model/channel.ts";
import type { OutboxItem } from "../../src/model/outbound.ts";
import type { AdapterContext, ChannelAdapter, SendResult } from "../../src/channel/port.ts";
import { history, replies, type HistoryReads } from "./history.ts";
import { OpenCount, WEB_LIMITS, type WebLimits } from "./limits.ts";
import { registerPage, type ShopName } from "./page.ts";
import { createWebSessions, type SessionRecords } from "./session.ts";
import { Waiters, type SentEvents } from "./wake.ts";

export type { WebReply, HistoryItem } from "./history.ts";

/**
 * The built-in web chat: a channel like the others, always on. The page opens a
 * session (POST /webchat/api/session sets an HttpOnly cookie), posts messages to
 * /webchat/api/messages and long-polls the same path for replies, which are read
 * from the outbox by (chat, seq) so any instance can answer; a poll sleeps until the
 * event bus says one of its chat's replies was sent.
 */
const PostBody = z
  .object({
    /** page-made id: the same id twice is one message (a retried fetch) */
    id: z.string().regex(/^[A-Za-z0-9_-]{6,64}$/).optional(),
    text: z.string().max(4000).optional(),
    buttonId: z.string().max(256).optional(),
    phone: z.string().max(32).optional(),
    source: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/).optional(),
    locale: z.string().max(10).optional(),
  })
  .strict()
  .refine((b) => b.text !== undefined || b.buttonId !== undefined || b.phone !== undefined, "send text, buttonId or phone");

const PollQuery = z
  .object({
    after: z.coerce.number().int().min(-1).max(Number.MAX_SAFE_INTEGER).default(-1),
    wait: z.coerce.number().int().min(0).max(30).default(25),
    /** 1: the whole conversation, the customer's own messages too (a page that opens) */
    history: z.enum(["0", "1"]).default("0"),
  })
  .strict();

export interface WebAdapterDeps {
  store: HistoryReads & SessionRecords & CounterPort;
  /** "sent" events from every instance (src/events/bus.ts) */
  events?: SentEvents;
  shopName?: () => ShopName;
  /** the header's line on whether people are there now */
  presence?: () => ShopName;
  limits?: Partial<WebLimits>;
}

const NO_SESSION = { error: "no_session", message: "open a chat session first: POST /webchat/api/session" };

export function createWebAdapter(deps: WebAdapterDeps): ChannelAdapter {
  const limits: WebLimits = { ...WEB_LIMITS, ...deps.limits };
  const sessions = createWebSessions(deps.store);
  const waiters = new Waiters(deps.events);
  const open = new OpenCount();

  return {
    channel: "web",
    capabilities: WEB_CAPABILITIES,
    rate: { perSecond: 1000, perChatPerSecond: 50, perChatBurst: 50 },

    async register(app: FastifyInstance, ctx: AdapterContext): Promise<void> {
      // A long-poll is an in-flight request and close() waits for those: end them first.
      app.addHook("preClose", async () => waiters.close());
      await app.register(async (scope) => {
        installErrorHandler(scope, { log: ctx.log, name: "web chat" });
        await scope.register(rateLimit, { global: false, store: kvRateStore(deps.store) });
        const limiter = (name: string, max: number, key: (req: FastifyRequest) => string) =>
          scope.createRateLimit({ max, timeWindow: limits.windowMs, keyGenerator: (req) => `web.${name}:${key(req)}` });
        const perAddress = limiter("msg-addr", limits.messagesPerAddress, (req) => req.ip);
        const perSession = limiter("msg-session", limits.messagesPerSession, (req) => sessionOf(req));
        const newSessions = limiter("session-addr", limits.sessionsPerAddress, (req) => req.ip);
        const polls = limiter("poll-session", limits.pollsPerSession, (req) => sessionOf(req));

        const pages = limiter("page-addr", limits.pagesPerAddress, (req) => req.ip);
        await registerPage(scope, deps.shopName, (req, reply) => refused(reply, pages(req)), deps.presence);

        scope.post("/webchat/api/session", async (req, reply) => {
          const current = await sessions.current(req);
          // fresh also when the greeting never got through (the page was closed at once)
          if (current) return { ok: true, fresh: (await deps.store.getConversation(`web:${current}`)) === null };
          if (await refused(reply, newSessions(req))) return reply;
          await sessions.issue(req, reply);
          return { ok: true, fresh: true };
        });

        const addressFirst = async (req: FastifyRequest, reply: FastifyReply) => {
          if (await refused(reply, perAddress(req))) return reply;
        };
        scope.post("/webchat/api/messages", { bodyLimit: 64 * 1024, onRequest: addressFirst }, async (req, reply) => {
          const session = await sessions.current(req);
          if (!session) return reply.code(401).send(NO_SESSION);
          remember(req, session);
          if (await refused(reply, perSession(req))) return reply;
          const parsed = PostBody.safeParse(req.body);
          if (!parsed.success) return reply.code(400).send(badRequestBody(parsed.error));
          const b = parsed.data;
          // the page's id is the customer's own: two sessions' ids never collide
          const messageId = `${session}.${b.id ?? randomUUID()}`;
          const [outcome] = await ctx.ingest([
            {
              type: "message",
              channel: "web",
              chatId: session,
              userId: session,
              dedupeKey: messageId,
              platformMessageId: messageId,
              at: Date.now(),
              ...(b.text !== undefined ? { text: b.text } : {}),
              ...(b.buttonId !== undefined ? { buttonId: b.buttonId } : {}),
              ...(b.phone !== undefined ? { phone: b.phone } : {}),
              ...(b.source !== undefined ? { source: b.source } : {}),
              ...(b.locale !== undefined ? { locale: b.locale } : {}),
            },
          ]);
          void sessions.touch(session).catch((err: unknown) => ctx.log.warn({ err: String(err) }, "web chat: session refresh failed"));
          return reply.code(202).send({ ok: true, duplicate: outcome === "duplicate" });
        });

        scope.get("/webchat/api/messages", async (req, reply) => {
          const session = await sessions.current(req);
          if (!session) return reply.code(401).send(NO_SESSION);
          remember(req, session);
          const parsed = PollQuery.safeParse(req.query);
          if (!parsed.success) return reply.code(400).send(badRequestBody(parsed.error, "query"));
          if (await refused(reply, polls(req))) return reply;
          const key = `web:${session}`;
          const { after, wait } = parsed.data;
          if (parsed.data.history === "1") return history(deps.store, key);

          const slots = [`s:${session}`, `a:${req.ip}`];
          if (!open.take(slots[0]!, limits.openPollsPerSession)) return tooMany(reply, 5);
          if (!open.take(slots[1]!, limits.openPollsPerAddress)) {
            open.give(slots[0]!);
            return tooMany(reply, 5);
          }
          try {
            // listen before reading: a reply sent in between still wakes this poll
            let woken = false;
            let wake: () => void = () => (woken = true);
            const cancel = waiters.wait(key, wait * 1000, () => wake());
            const found = await replies(deps.store, key, after);
            if (found.length > 0 || wait === 0) {
              cancel();
              return { messages: found };
            }
            if (!woken) {
              // the response's close: the customer left (tab closed, network gone)
              let left: () => void = () => undefined;
              await new Promise<void>((resolve) => {
                wake = resolve;
                left = resolve;
                reply.raw.once("close", left);
              });
              reply.raw.off("close", left);
            }
            cancel();
            if (req.raw.socket?.destroyed) return reply;
            return { messages: await replies(deps.store, key, after) };
          } finally {
            open.give(slots[0]!);
            open.give(slots[1]!);
          }
        });
      });
    },

    async send(item: OutboxItem): Promise<SendResult> {
      // Delivery is the browser reading it: the sender marks it sent, then recorded() runs.
      return { ok: true, platformMessageIds: [item.id] };
    },

    recorded(item: OutboxItem): void {
      // this process sent it: its polls need not wait for the bus
      waiters.wake(item.conversationKey);
    },
  };
}

const SESSION = Symbol("webchat.session");
type WithSession = FastifyRequest & { [SESSION]?: string };
function remember(req: FastifyRequest, session: string): void {
  (req as WithSession)[SESSION] = session;
}
function sessionOf(req: FastifyRequest): string {
  return (req as WithSession)[SESSION] ?? "none";
}

function tooMany(reply: FastifyReply, seconds: number): FastifyReply {
  return reply
    .code(429)
    .header("retry-after", String(seconds))
    .send({ error: "rate_limited", message: `too many requests; try again in ${seconds} s` });
}

/** answers 429 with Retry-After when the limiter says the key is over its limit */
async function refused(reply: FastifyReply, check: Promise<{ isAllowed: boolean; isExceeded?: boolean; ttlInSeconds?: number }>): Promise<boolean> {
  const r = await check;
  if (r.isAllowed || !r.isExceeded) return false;
  tooMany(reply, Math.max(1, r.ttlInSeconds ?? 1));
  return true;
}
