import type { FastifyInstance } from "fastify";
import fp from "fastify-plugin";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { NEEDS, type StaffApiDeps } from "./deps.ts";
import { ContactsQuery, IdParams, TouchpointBody } from "./schemas.ts";
import { notFound, toConversation } from "./to-conversation.ts";

/** contacts: the list (by audience, at risk), one contact's history, offline touchpoints and notes */
async function contacts(app: FastifyInstance, deps: StaffApiDeps): Promise<void> {
  const api = app.withTypeProvider<ZodTypeProvider>();
  const { store } = deps;

  api.get("/api/contacts", { schema: { querystring: ContactsQuery } }, async (req) => {
    const q = req.query;
    // At risk: the balance of moments is negative (one bad outweighs twelve good).
    return {
      contacts: await store.listContacts({ ...(q.audience ? { audience: q.audience } : {}), ...(q.atRisk ? { balanceBelow: 0 } : {}), limit: q.limit }),
    };
  });

  api.get("/api/contacts/:id", { schema: { params: IdParams } }, async (req, reply) => {
    const contact = await store.getContact(req.params.id);
    if (!contact) return notFound(reply, `contact ${req.params.id}`);
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
  api.post("/api/contacts/:id/touchpoints", { schema: { params: IdParams, body: TouchpointBody } }, async (req, reply) => {
    const contact = await store.getContact(req.params.id);
    if (!contact) return notFound(reply, `contact ${req.params.id}`);
    const [conv] = await store.listConversations({ contactId: contact.id, limit: 1 });
    if (!conv) return reply.code(409).send({ error: "no_conversation", message: `contact ${contact.id} has no conversation to log it in` });
    const b = req.body;
    const event =
      b.kind === "note"
        ? ({ kind: "staff_note", by: b.by, text: b.summary } as const)
        : ({ kind: "offline", by: b.by, summary: b.summary, via: b.via, ...(b.moment ? { moment: b.moment } : {}), ...(b.at ? { at: b.at } : {}) } as const);
    const outcome = await toConversation(deps, conv.key, event);
    return reply.code(202).send({ ok: true, conversationKey: conv.key, duplicate: outcome === "duplicate" });
  });
}

export const contactsApi = fp(contacts, { name: "staff-api-contacts", ...NEEDS });
