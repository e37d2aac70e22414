import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { moneyReport } from "../analytics/money.ts";
import type { InboundEvent } from "../model/inbound.ts";
import type { EnqueueOutcome, JourneyReads } from "../store/port.ts";
import { apiSchemas, apiToken } from "./api-plugins.ts";
import { parseDate } from "./parse-date.ts";

/**
 * Staff routes for money (bearer STAFF_API_TOKEN, like /api):
 *   GET  /api/report/orders?from&to   what the period's orders came to, from their own figures
 *   POST /api/orders/:id/refund       {note, by}: a refund made at the provider, noted on the order
 */
export interface MoneyApiDeps {
  store: JourneyReads;
  token: string | undefined;
  now: () => number;
  ingest: (events: InboundEvent[]) => Promise<EnqueueOutcome[]>;
}

const Period = z.object({ from: z.string().optional(), to: z.string().optional() });
const IdParams = z.object({ id: z.string() });
const RefundBody = z.object({ note: z.string().min(1).max(500), by: z.string().min(1).max(80).default("staff") }).strict();

export async function registerMoneyApi(app: FastifyInstance, deps: MoneyApiDeps): Promise<void> {
  await app.register(async (scope) => {
    await scope.register(apiSchemas);
    await scope.register(apiToken, { token: deps.token });
    const api = scope.withTypeProvider<ZodTypeProvider>();
    api.get("/api/report/orders", { schema: { querystring: Period } }, async (req) => {
      const to = parseDate(req.query.to, deps.now() + 1);
      const from = parseDate(req.query.from, to - 30 * 86_400_000);
      return moneyReport(await deps.store.listOrders({ limit: 10_000 }), from, to);
    });

    api.post("/api/orders/:id/refund", { schema: { params: IdParams, body: z.preprocess((b) => b ?? {}, RefundBody) } }, async (req, reply) => {
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
          event: { kind: "order_refund", orderId: order.id, note: req.body.note, by: req.body.by },
        },
      ]);
      return reply.code(202).send({ ok: true });
    });
  });
}
