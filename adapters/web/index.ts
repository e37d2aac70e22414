import { EventEmitter } from "node:events";
import { readFileSync } from "node:fs";
import { randomUUID } from "node:crypto";
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { WEB_CAPABILITIES } from "../../src/model/channel.ts";
import type { OutboxItem, RenderedPart } from "../../src/model/outbound.ts";
import type { Store } from "../../src/store/port.ts";
import type { AdapterContext, ChannelAdapter, SendResult } from "../types.ts";

/**
 * The built-in web chat: a channel like the others, always on. The browser posts
 * messages to /webchat/api/messages and long-polls the same path for replies; the
 * replies are read from the outbox (status "sent"), so any instance can answer.
 */
const PAGE = readFileSync(new URL("./page.html", import.meta.url), "utf8");

const Session = z.string().regex(/^[A-Za-z0-9_-]{8,64}$/, "session must be 8-64 characters of A-Za-z0-9_-");

const PostBody = z
  .object({
    session: Session,
    /** client-made id: the same id twice is one message (a retried fetch) */
    id: z.string().regex(/^[A-Za-z0-9_-]{6,64}$/).optional(),
    text: z.string().max(4000).optional(),
    buttonId: z.string().max(256).optional(),
    phone: z.string().max(32).optional(),
    source: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/).optional(),
    locale: z.string().max(10).optional(),
  })
  .strict()
  .refine((b) => b.text !== undefined || b.buttonId !== undefined || b.phone !== undefined, "send text, buttonId or phone");

const PollQuery = z.object({
  session: Session,
  after: z.coerce.number().int().min(-1).default(-1),
  wait: z.coerce.number().int().min(0).max(30).default(25),
});

export interface WebReply extends RenderedPart {
  seq: number;
}

export interface WebAdapterDeps {
  store: Store;
}

export function createWebAdapter(deps: WebAdapterDeps): ChannelAdapter {
  const sent = new EventEmitter();
  const CLOSING = Symbol("closing");
  let closing = false;
  sent.setMaxListeners(0);

  async function replies(session: string, after: number): Promise<WebReply[]> {
    // No limit: the list is in seq order, so a cap would hide every reply after it in a long chat.
    const items = await deps.store.listOutbox({ conversationKey: `web:${session}`, status: "sent" });
    return items.filter((i) => i.seq > after).map((i) => ({ seq: i.seq, ...i.part }));
  }

  return {
    channel: "web",
    capabilities: WEB_CAPABILITIES,
    rate: { perSecond: 1000, perChatPerSecond: 50, perChatBurst: 50 },

    async register(app: FastifyInstance, ctx: AdapterContext): Promise<void> {
      // A long-poll is an in-flight request and close() waits for those: end them first.
      app.addHook("preClose", async () => {
        closing = true;
        sent.emit(CLOSING);
      });
      await app.register(async (scope) => {
        scope.get("/", async (_req, reply) => reply.type("text/html; charset=utf-8").send(PAGE));

        scope.post("/webchat/api/messages", { bodyLimit: 64 * 1024 }, async (req, reply) => {
          const parsed = PostBody.safeParse(req.body);
          if (!parsed.success) {
            return reply.code(400).send({ error: "bad_request", message: parsed.error.issues.map((i) => `${i.path.join(".") || "body"}: ${i.message}`).join("; ") });
          }
          const b = parsed.data;
          const [outcome] = await ctx.ingest([
            {
              type: "message",
              channel: "web",
              chatId: b.session,
              userId: b.session,
              dedupeKey: b.id ?? randomUUID(),
              platformMessageId: b.id ?? randomUUID(),
              at: Date.now(),
              ...(b.text !== undefined ? { text: b.text } : {}),
              ...(b.buttonId !== undefined ? { buttonId: b.buttonId } : {}),
              ...(b.phone !== undefined ? { phone: b.phone } : {}),
              ...(b.source !== undefined ? { source: b.source } : {}),
              ...(b.locale !== undefined ? { locale: b.locale } : {}),
            },
          ]);
          return reply.code(202).send({ ok: true, duplicate: outcome === "duplicate" });
        });

        scope.get("/webchat/api/messages", async (req, reply) => {
          const parsed = PollQuery.safeParse(req.query);
          if (!parsed.success) {
            return reply.code(400).send({ error: "bad_request", message: parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ") });
          }
          const { session, after, wait } = parsed.data;
          let found = await replies(session, after);
          const deadline = Date.now() + wait * 1000;
          // Long-poll: wake on a local send, re-read every second for other instances.
          while (found.length === 0 && Date.now() < deadline && !req.raw.destroyed && !closing) {
            await new Promise<void>((resolve) => {
              const done = () => {
                clearTimeout(timer);
                sent.off(session, done);
                sent.off(CLOSING, done);
                resolve();
              };
              const timer = setTimeout(done, Math.min(1000, Math.max(0, deadline - Date.now())));
              sent.on(session, done);
              sent.on(CLOSING, done);
            });
            found = await replies(session, after);
          }
          return reply.send({ messages: found });
        });
      });
    },

    async send(item: OutboxItem): Promise<SendResult> {
      // Delivery is the browser reading it: the sender marks it sent, then recorded() runs.
      return { ok: true, platformMessageIds: [item.id] };
    },

    recorded(item: OutboxItem): void {
      // a long-poll of this chat reads the store again: the reply is there now
      sent.emit(item.chatId);
    },
  };
}
