import type { FastifyInstance } from "fastify";
import fp from "fastify-plugin";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { NEEDS, type StaffApiDeps } from "./deps.ts";
import { ByBody, KeyParams, ReplyBody } from "./schemas.ts";
import { accepted, notFound, toConversation } from "./to-conversation.ts";

/** the inbox of handed-off chats, one conversation, replying, taking and handing back */
async function conversations(app: FastifyInstance, deps: StaffApiDeps): Promise<void> {
  const api = app.withTypeProvider<ZodTypeProvider>();
  const { store } = deps;

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

  api.get("/api/conversations/:key", { schema: { params: KeyParams } }, async (req, reply) => {
    const { key } = req.params;
    const conv = await store.getConversation(key);
    if (!conv) return notFound(reply, `conversation ${key}`);
    return { conversation: conv, outbox: await store.listOutbox({ conversationKey: key, limit: 500 }) };
  });

  api.post("/api/conversations/:key/reply", { schema: { params: KeyParams, body: ReplyBody } }, async (req, reply) => {
    const { by, text, id } = req.body;
    return accepted(reply, await toConversation(deps, req.params.key, { kind: "staff_reply", by, text }, id), req.params.key);
  });

  api.post("/api/conversations/:key/take", { schema: { params: KeyParams, body: ByBody } }, async (req, reply) => {
    const { by, id } = req.body;
    return accepted(reply, await toConversation(deps, req.params.key, { kind: "handoff_take", by }, id), req.params.key);
  });

  api.post("/api/conversations/:key/handback", { schema: { params: KeyParams, body: ByBody } }, async (req, reply) => {
    const { by, step, id } = req.body;
    return accepted(reply, await toConversation(deps, req.params.key, { kind: "handback", by, ...(step ? { step } : {}) }, id), req.params.key);
  });
}

export const conversationsApi = fp(conversations, { name: "staff-api-conversations", ...NEEDS });
