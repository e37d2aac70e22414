import type { FastifyInstance } from "fastify";
import fp from "fastify-plugin";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { NEEDS, type StaffApiDeps } from "./deps.ts";
import { EntryParams } from "./schemas.ts";
import { notFound } from "./to-conversation.ts";

/**
 * Customer messages that failed every attempt: process one again once the cause is
 * fixed (it goes behind what the chat has waiting now), or dismiss it.
 */
async function deadLetters(app: FastifyInstance, deps: StaffApiDeps): Promise<void> {
  const api = app.withTypeProvider<ZodTypeProvider>();
  const { store } = deps;

  api.get("/api/dead-letters", async () => ({ entries: await store.deadInbound(100) }));

  api.post("/api/dead-letters/:id/retry", { schema: { params: EntryParams } }, async (req, reply) => {
    const entry = await store.retryDeadInbound(req.params.id);
    if (!entry) return notFound(reply, `dead letter ${req.params.id}`);
    return reply.code(202).send({ ok: true, entry });
  });

  api.post("/api/dead-letters/:id/discard", { schema: { params: EntryParams } }, async (req, reply) => {
    if (!(await store.discardDeadInbound(req.params.id))) return notFound(reply, `dead letter ${req.params.id}`);
    return { ok: true };
  });
}

export const deadLettersApi = fp(deadLetters, { name: "staff-api-dead-letters", ...NEEDS });
