import type { FastifyInstance } from "fastify";
import { dropoffReport } from "../../analytics/dropoff.ts";
import { tables } from "../../analytics/tables.ts";
import type { ReportDeps } from "./deps.ts";
import { reportRoute } from "./route.ts";
import { DropoffResponse, ReportQuery } from "./schemas.ts";

/** GET /api/report/dropoff: per flow, step by step, who reached it and who stopped there */
export async function dropoffRoutes(api: FastifyInstance, deps: ReportDeps): Promise<void> {
  reportRoute(api, {
    name: "dropoff",
    summary: "Drop-off per flow step: reached and stopped there (Typebot's definition), worst first",
    query: ReportQuery,
    response: DropoffResponse,
    now: deps.now,
    compute: (q, p) => dropoffReport(deps.store, deps.bundle(), p, q.audience, deps.now()),
    table: tables.dropoff,
  });
}
