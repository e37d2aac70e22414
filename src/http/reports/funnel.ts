import type { FastifyInstance } from "fastify";
import { funnelView } from "../../analytics/funnel-view.ts";
import { tables } from "../../analytics/tables.ts";
import type { ReportDeps } from "./deps.ts";
import { whoOf } from "./period.ts";
import { reportRoute } from "./route.ts";
import { FunnelQuery, FunnelResponse } from "./schemas.ts";

/** GET /api/report/funnel: the 12 stages for a period, narrowed or split, the previous period beside it */
export async function funnelRoutes(api: FastifyInstance, deps: ReportDeps): Promise<void> {
  reportRoute(api, {
    name: "funnel",
    summary: "Funnel: contacts per stage, conversion, median time between stages; previous period beside it",
    query: FunnelQuery,
    response: FunnelResponse,
    now: deps.now,
    compute: (q, p) => funnelView(deps.store, p, whoOf(q), q.split, deps.now()),
    table: tables.funnel,
  });
}
