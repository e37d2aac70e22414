import type { FastifyInstance } from "fastify";
import { sourcesReport } from "../../analytics/sources.ts";
import { tables } from "../../analytics/tables.ts";
import type { ReportDeps } from "./deps.ts";
import { whoOf } from "./period.ts";
import { reportRoute } from "./route.ts";
import { ReportQuery, SourcesResponse } from "./schemas.ts";

/** GET /api/report/sources: first-touch source → new contacts, conversion, first orders, revenue */
export async function sourcesRoutes(api: FastifyInstance, deps: ReportDeps): Promise<void> {
  reportRoute(api, {
    name: "sources",
    summary: "Sources: first-touch source → new contacts, conversion, first orders, revenue (friends' codes under referrals)",
    query: ReportQuery,
    response: SourcesResponse,
    now: deps.now,
    compute: (q, p) => sourcesReport(deps.store, p, whoOf(q)),
    table: tables.sources,
  });
}
