import { randomUUID } from "node:crypto";
import type { FastifyInstance, FastifyReply } from "fastify";
import { z } from "zod";
import type { Bundle } from "../engine/bundle.ts";
import { AUDIENCES } from "../model/domain.ts";
import type { InboundEvent } from "../model/inbound.ts";
import type { CustomerReads, EnqueueOutcome, JournalPort, OutboxReads } from "../store/port.ts";
import { bearerToken, sameSecret } from "./secrets.ts";
import { badRequestBody } from "./zod-error.ts";

/**
 * The staff and owner HTTP API under /api (bearer STAFF_API_TOKEN): the inbox of
 * handed-off chats, replying, taking and handing back, order statuses, offline
 * touchpoints, held and dead messages (dead letters retried or dismissed). The
 * reports are in src/http/reports/. Anything that changes a conversation goes through its queue as an event, so
 * it is ordered with the customer's own messages.
 */
export interface StaffApiDeps {
  /** reads for staff, the dead journal entries and the outbox they act on */
  store: CustomerReads & JournalPort & OutboxReads;
  ingest: (events: InboundEvent[]) => Promise<EnqueueOutcome[]>;
  token: string | undefined;
  bundle: () => Bundle;
  now: () => number;
}

const Key = z.string().regex(/^(telegram|whatsapp|vk|web|max):[A-Za-z0-9_.:-]{1,128}$/, "conversation key looks like telegram:123");
const EntryId = z.string().regex(/^in_[a-z0-9-]{1,64}$/, "a dead letter's id looks like in_0mx5g4a6h0001…");
const Staff = z.string().min(1).max(80).default("staff");

/** a reply with nothing to read is refused (it would reach the customer as an empty message) */
const ReplyText = z.string().max(4000).refine((t) => t.trim() !== "", "write something: the reply is empty");
const ReplyBody = z.object({ text: ReplyText, by: Staff, id: z.string().max(64).optional() }).strict();
const ByBody = z.object({ by: Staff, step: z.string().max(80).optional(), id: z.string().max(64).optional() }).strict();
const StatusBody = z
  .object({ status: z.enum(["placed", "confirmed", "shipped", "delivered", "cancelled"]), id: z.string().max(64).optional() })
  .strict();
const TouchpointBody = z
  .object({
    kind: z.enum(["offline", "note"]).default("offline"),
    summary: z.string().min(1).max(500),
    /** what happened offline: store visit, phone call, courier… */
    via: z.enum(["store_visit", "call", "courier", "email", "other"]).default("other"),
    moment: z.enum(["good", "bad"]).optional(),
    by: Staff,
    at: z.number().int().positive().optional(),
  })
  .strict();
const Period = z.object({
  from: z.string().optional(),
  to: z.string().optional(),
  audience: z.enum(AUDIENCES).optional(),
});
const Limit = z.object({ limit: z.coerce.number().int().min(1).max(500).default(100) });

function bad(reply: FastifyReply, error: z.ZodError): FastifyReply {
  return reply.code(400).send(badRequestBody(error));
}

export function parseDate(s: string | undefined, fallback: number): number {
  if (!s) return fallback;
  const t = /^\d+$/.test(s) ? Number(s) : Date.parse(s);
  if (!Number.isFinite(t)) throw new Error(`not a date: ${s}`);
  return t;
}

export async function registerStaffApi(app: FastifyInstance, deps: StaffApiDeps): Promise<void> {
  const { store } = deps;
  await app.register(async (api) => {
    api.addHook("onRequest", async (req, reply) => {
      if (!deps.token) {
        return reply.code(503).send({ error: "disabled", message: "set STAFF_API_TOKEN to use the staff API" });
      }
      if (!sameSecret(bearerToken(req.headers.authorization), deps.token)) {
        return reply.code(401).send({ error: "unauthorized", message: "missing or wrong bearer token" });
      }
    });

    /** Send a system event to a conversation's queue. */
    const toConversation = async (key: string, event: Extract<InboundEvent, { type: "system" }>["event"], id?: string) => {
      const conv = await store.getConversation(key);
      if (!conv) return null;
      const [outcome] = await deps.ingest([
        { type: "system", channel: conv.channel, chatId: conv.chatId, userId: conv.chatId, dedupeKey: `staff:${id ?? randomUUID()}`, at: deps.now(), event },
      ]);
      return outcome;
    };

    api.get("/api/inbox", async () => {
      const conversations = await store.listConversations({ inHandoff: true, limit: 200 });
      return {
        conversations: await Promise.all(
          conversations.map(async (c) => ({
            ...c,
            contact: await store.getContact(c.contactId),
            recent: (await store.listTouchpoints(c.contactId, 500)).slice(-20),
          })),
        ),
      };
    });

    api.get<{ Params: { key: string } }>("/api/conversations/:key", async (req, reply) => {
      const key = Key.safeParse(req.params.key);
      if (!key.success) return bad(reply, key.error);
      const conv = await store.getConversation(key.data);
      if (!conv) return reply.code(404).send({ error: "not_found", message: `no conversation ${key.data}` });
      return { conversation: conv, outbox: await store.listOutbox({ conversationKey: key.data, limit: 500 }) };
    });

    api.post<{ Params: { key: string } }>("/api/conversations/:key/reply", async (req, reply) => {
      const key = Key.safeParse(req.params.key);
      if (!key.success) return bad(reply, key.error);
      const body = ReplyBody.safeParse(req.body);
      if (!body.success) return bad(reply, body.error);
      const outcome = await toConversation(key.data, { kind: "staff_reply", by: body.data.by, text: body.data.text }, body.data.id);
      if (!outcome) return reply.code(404).send({ error: "not_found", message: `no conversation ${key.data}` });
      return reply.code(202).send({ ok: true, duplicate: outcome === "duplicate" });
    });

    for (const action of ["take", "handback"] as const) {
      api.post<{ Params: { key: string } }>(`/api/conversations/:key/${action}`, async (req, reply) => {
        const key = Key.safeParse(req.params.key);
        if (!key.success) return bad(reply, key.error);
        const body = ByBody.safeParse(req.body ?? {});
        if (!body.success) return bad(reply, body.error);
        const event =
          action === "take"
            ? ({ kind: "handoff_take", by: body.data.by } as const)
            : ({ kind: "handback", by: body.data.by, ...(body.data.step ? { step: body.data.step } : {}) } as const);
        const outcome = await toConversation(key.data, event, body.data.id);
        if (!outcome) return reply.code(404).send({ error: "not_found", message: `no conversation ${key.data}` });
        return reply.code(202).send({ ok: true, duplicate: outcome === "duplicate" });
      });
    }

    api.get<{ Querystring: Record<string, string> }>("/api/contacts", async (req, reply) => {
      const q = z
        .object({ audience: z.enum(AUDIENCES).optional(), atRisk: z.enum(["1", "true"]).optional() })
        .and(Limit)
        .safeParse(req.query);
      if (!q.success) return bad(reply, q.error);
      // At risk: the balance of moments is negative (one bad outweighs twelve good).
      return {
        contacts: await store.listContacts({
          ...(q.data.audience ? { audience: q.data.audience } : {}),
          ...(q.data.atRisk ? { balanceBelow: 0 } : {}),
          limit: q.data.limit,
        }),
      };
    });

    api.get<{ Params: { id: string } }>("/api/contacts/:id", async (req, reply) => {
      const contact = await store.getContact(req.params.id);
      if (!contact) return reply.code(404).send({ error: "not_found", message: `no contact ${req.params.id}` });
      return {
        contact,
        touchpoints: await store.listTouchpoints(contact.id, 1000),
        orders: await store.listOrders({ contactId: contact.id, limit: 100 }),
        conversations: await store.listConversations({ contactId: contact.id, limit: 20 }),
      };
    });

    // An offline touchpoint (or note) goes through the contact's latest conversation's
    // queue like any staff write: committing it here would race a worker's step on the
    // same contact and lose the balance change (#11).
    api.post<{ Params: { id: string } }>("/api/contacts/:id/touchpoints", async (req, reply) => {
      const body = TouchpointBody.safeParse(req.body);
      if (!body.success) return bad(reply, body.error);
      const contact = await store.getContact(req.params.id);
      if (!contact) return reply.code(404).send({ error: "not_found", message: `no contact ${req.params.id}` });
      const [conv] = await store.listConversations({ contactId: contact.id, limit: 1 });
      if (!conv) return reply.code(409).send({ error: "no_conversation", message: `contact ${contact.id} has no conversation to log it in` });
      const b = body.data;
      const event =
        b.kind === "note"
          ? ({ kind: "staff_note", by: b.by, text: b.summary } as const)
          : ({ kind: "offline", by: b.by, summary: b.summary, via: b.via, ...(b.moment ? { moment: b.moment } : {}), ...(b.at ? { at: b.at } : {}) } as const);
      const outcome = await toConversation(conv.key, event);
      return reply.code(202).send({ ok: true, conversationKey: conv.key, duplicate: outcome === "duplicate" });
    });

    api.get<{ Querystring: Record<string, string> }>("/api/orders", async (req, reply) => {
      const q = z.object({ status: StatusBody.shape.status.optional() }).and(Limit).safeParse(req.query);
      if (!q.success) return bad(reply, q.error);
      return { orders: await store.listOrders({ ...(q.data.status ? { status: q.data.status } : {}), limit: q.data.limit }) };
    });

    api.post<{ Params: { id: string } }>("/api/orders/:id/status", async (req, reply) => {
      const body = StatusBody.safeParse(req.body);
      if (!body.success) return bad(reply, body.error);
      const order = await store.getOrder(req.params.id);
      if (!order) return reply.code(404).send({ error: "not_found", message: `no order ${req.params.id}` });
      const outcome = await toConversation(order.conversationKey, { kind: "order_status", orderId: order.id, status: body.data.status }, body.data.id);
      return reply.code(202).send({ ok: true, duplicate: outcome === "duplicate" });
    });

    api.get<{ Querystring: Record<string, string> }>("/api/outbox", async (req, reply) => {
      const q = z.object({ status: z.enum(["pending", "sent", "held", "dead"]).default("held") }).and(Limit).safeParse(req.query);
      if (!q.success) return bad(reply, q.error);
      return { items: await store.listOutbox({ status: q.data.status, limit: q.data.limit }) };
    });

    api.post<{ Params: { id: string } }>("/api/outbox/:id/requeue", async (req, reply) => {
      if (!(await store.requeueOutbox(req.params.id, Date.now()))) {
        return reply.code(404).send({ error: "not_found", message: `no held or dead reply ${req.params.id}` });
      }
      return reply.code(202).send({ ok: true });
    });

    api.get("/api/dead-letters", async () => ({ entries: await store.deadInbound(100) }));

    // a customer message that failed every attempt: process it again once the cause is
    // fixed (it goes behind what the chat has waiting now), or dismiss it
    api.post<{ Params: { id: string } }>("/api/dead-letters/:id/retry", async (req, reply) => {
      const id = EntryId.safeParse(req.params.id);
      if (!id.success) return bad(reply, id.error);
      const entry = await store.retryDeadInbound(id.data);
      if (!entry) return reply.code(404).send({ error: "not_found", message: `no dead letter ${id.data}` });
      return reply.code(202).send({ ok: true, entry });
    });

    api.post<{ Params: { id: string } }>("/api/dead-letters/:id/discard", async (req, reply) => {
      const id = EntryId.safeParse(req.params.id);
      if (!id.success) return bad(reply, id.error);
      if (!(await store.discardDeadInbound(id.data))) {
        return reply.code(404).send({ error: "not_found", message: `no dead letter ${id.data}` });
      }
      return { ok: true };
    });
  });
}
