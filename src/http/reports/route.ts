import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { z } from "zod";
import { toCsv } from "../../analytics/csv.ts";
import type { Table } from "../../analytics/tables.ts";
import { ErrorResponse, type ReportQuery } from "./schemas.ts";
import { periodOf } from "./period.ts";
import type { Period } from "../../analytics/common.ts";

/**
 * One report route: GET /api/report/<name>, its query and answer described by zod (and
 * so in the OpenAPI document), JSON by default and its main table as CSV with
 * `?format=csv`. A bad period is a 400 with the reason, like any bad query.
 */
export interface ReportRoute<Q extends z.ZodType<ReportQuery>, R extends z.ZodType> {
  name: string;
  summary: string;
  query: Q;
  response: R;
  compute(q: z.output<Q>, period: Period): Promise<z.output<R>>;
  table(r: z.output<R>): Table;
  now: () => number;
}

export function reportRoute<Q extends z.ZodType<ReportQuery>, R extends z.ZodType>(api: FastifyInstance, route: ReportRoute<Q, R>): void {
  api.get(
    `/api/report/${route.name}`,
    {
      schema: {
        summary: route.summary,
        tags: ["reports"],
        querystring: route.query,
        response: { 200: route.response, 400: ErrorResponse },
        security: [{ bearer: [] }],
      },
    },
    async (req: FastifyRequest, reply: FastifyReply): Promise<unknown> => {
      const q = req.query as z.output<Q>;
      let period: Period;
      try {
        period = periodOf(q, route.now());
      } catch (err) {
        return reply.code(400).send({ error: "bad_request", message: (err as Error).message });
      }
      const report = await route.compute(q, period);
      if (q.format !== "csv") return report;
      const day = (t: number) => new Date(t).toISOString().slice(0, 10);
      return reply
        .type("text/csv; charset=utf-8")
        .header("content-disposition", `attachment; filename="${route.name}-${day(period.from)}-${day(period.to)}.csv"`)
        .send(toCsv(route.table(report)));
    },
  );
}
