import type { FastifyInstance } from "fastify";
import fp from "fastify-plugin";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { NEEDS, type StaffApiDeps } from "./deps.ts";
import { IdParams, OrdersQuery, StatusBody } from "./schemas.ts";
import { notFound, toConversation } from "./to-conversation.ts";

/** orders: the list (by status) and a status change, told to the customer through their chat's queue */
async function orders(app: FastifyInstance, deps: StaffApiDeps): Promise<void> {
  const api = app.withTypeProvider<ZodTypeProvider>();
  const { store } = deps;

  api.get("/api/orders", { schema: { querystring: OrdersQuery } }, async (req) => {
    const { status, limit } = req.query;
    return { orders: await store.listOrders({ ...(status ? { status } : {}), limit }) };
  });

  api.post("/api/orders/:id/status", { schema: { params: IdParams, body: StatusBody } }, async (req, reply) => {
    const order = await store.getOrder(req.params.id);
    if (!order) return notFound(reply, `order ${req.params.id}`);
    const outcome = await toConversation(deps, order.conversationKey, { kind: "order_status", orderId: order.id, status: req.body.status }, req.body.id);
    return reply.code(202).send({ ok: true, duplicate: outcome === "duplicate" });
  });
}

export const ordersApi = fp(orders, { name: "staff-api-orders", ...NEEDS });
