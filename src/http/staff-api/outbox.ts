import type { FastifyInstance } from "fastify";
import fp from "fastify-plugin";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { NEEDS, type StaffApiDeps } from "./deps.ts";
import { IdParams, OutboxQuery } from "./schemas.ts";
import { notFound } from "./to-conversation.ts";

/** replies by status (held ones by default) and sending a held or dead one again */
async function outbox(app: FastifyInstance, deps: StaffApiDeps): Promise<void> {
  const api = app.withTypeProvider<ZodTypeProvider>();
  const { store } = deps;

  api.get("/api/outbox", { schema: { querystring: OutboxQuery } }, async (req) => ({
    items: await store.listOutbox({ status: req.query.status, limit: req.query.limit }),
  }));

  api.post("/api/outbox/:id/requeue", { schema: { params: IdParams } }, async (req, reply) => {
    if (!(await store.requeueOutbox(req.params.id, Date.now()))) return notFound(reply, `held or dead reply ${req.params.id}`);
    return reply.code(202).send({ ok: true });
  });
}

export const outboxApi = fp(outbox, { name: "staff-api-outbox", ...NEEDS });
