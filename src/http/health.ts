import type { FastifyInstance } from "fastify";
import type { StoreLifecycle } from "../store/port.ts";

/** /healthz: the process answers. /readyz: the store answers too (load balancers route on it). */
export async function registerHealth(app: FastifyInstance, deps: { store: StoreLifecycle }): Promise<void> {
  app.get("/healthz", async () => ({ ok: true }));
  app.get("/readyz", async (_req, reply) => {
    try {
      await deps.store.ping();
      return { ok: true, store: deps.store.kind };
    } catch (err) {
      return reply.code(503).send({ ok: false, store: deps.store.kind, error: (err as Error).message });
    }
  });
}
