import { bearerToken, sameSecret } from "./secrets.ts";
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { moneyReport } from "../analytics/money.ts";
import type { InboundEvent } from "../model/inbound.ts";
import type { EnqueueOutcome, Store } from "../store/port.ts";
import { parseDate } from "./parse-date.ts";

/**
 * Staff routes for money (bearer STAFF_API_TOKEN, like /api):
 *   GET  /api/report/orders?from&to   what the period's orders came to, from their own figures
 *   POST /api/orders/:id/refund       {note, by}: a refund made at the provider, noted on the order
 */
export interface MoneyApiDeps {
  store: Store;
  token: string | undefined;
  now: () => number;
  ingest: (events: InboundEvent[]) => Promise<EnqueueOutcome[]>;
}

const Period = z.object({ from: z.string().optional(), to: z.string().optional() });
const RefundBody = z.object({ note: z.string().min(1).max(500), by: z.string().min(1).max(80).default("staff") }).strict();

export async function registerMoneyApi(app: FastifyInstance, deps: MoneyApiDeps): Promise<void> {
  await app.register(async (api) => {
    api.addHook("onRequest", async (req, reply) => {
      if (!deps.token) return reply.code(503).send({ error: "disabled", message: "set STAFF_API_TOKEN to use the staff API" });
      if (!sameSecret(bearerToken(req.headers.authorization), deps.token)) return reply.code(401).send({ error: "unauthorized", message: "missing or wrong bearer token" });
    });

    api.get<{ Querystring: Record<string, string> }>("/api/report/orders", async (req, reply) => {
      const q = Period.safeParse(req.query);
      if (!q.success) return reply.code(400).send({ error: "bad_request", message: q.error.issues.map((i) => i.message).join("; ") });
      const to = parseDate(q.data.to, deps.now() + 1);
      const from = parseDate(q.data.from, to - 30 * 86_400_000);
      return moneyReport(await deps.store.listOrders({ limit: 10_000 }), from, to);
    });

    api.post<{ Params: { id: string } }>("/api/orders/:id/refund", async (req, reply) => {
      const body = RefundBody.safeParse(req.body ?? {});
      if (!body.success) return reply.code(400).send({ error: "bad_request", message: body.error.issues.map((i) => i.message).join("; ") });
      const orders = await deps.store.listOrders({ limit: 10_000 });
      const order = orders.find((o) => o.id === req.params.id);
      if (!order) return reply.code(404).send({ error: "not_found", message: "no such order" });
      if (order.payment?.status !== "paid") return reply.code(409).send({ error: "not_paid", message: "only a paid order can be refunded" });
      // through the conversation's queue, so it is ordered with the customer's messages
      const [channel, ...rest] = order.conversationKey.split(":");
      const chatId = rest.join(":");
      await deps.ingest([
        {
          type: "system",
          channel: channel as InboundEvent["channel"],
          chatId,
          userId: chatId,
          dedupeKey: `refund:${order.id}`,
          at: deps.now(),
          event: { kind: "order_refund", orderId: order.id, note: body.data.note, by: body.data.by },
        },
      ]);
      return reply.code(202).send({ ok: true });
    });
  });
}
