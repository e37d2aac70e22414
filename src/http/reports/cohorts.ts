import type { FastifyInstance } from "fastify";
import { cohortsReport } from "../../analytics/cohorts.ts";
import { tables } from "../../analytics/tables.ts";
import type { ReportDeps } from "./deps.ts";
import { whoOf } from "./period.ts";
import { reportRoute } from "./route.ts";
import { CohortsResponse, ReportQuery } from "./schemas.ts";

/** GET /api/report/cohorts: monthly cohorts by first order, repeat rate, churned, the half-in-three-years line */
export async function cohortsRoutes(api: FastifyInstance, deps: ReportDeps): Promise<void> {
  reportRoute(api, {
    name: "cohorts",
    summary: "Retention: monthly cohorts by first order, repeat-purchase rate, churned",
    query: ReportQuery,
    response: CohortsResponse,
    now: deps.now,
    compute: (q, p) => cohortsReport(deps.store, p, whoOf(q)),
    table: tables.cohorts,
  });
}
