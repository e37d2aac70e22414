import type { FastifyInstance } from "fastify";
import { riskReport } from "../../analytics/risk.ts";
import { tables } from "../../analytics/tables.ts";
import type { ReportDeps } from "./deps.ts";
import { whoOf } from "./period.ts";
import { reportRoute } from "./route.ts";
import { ReportQuery, RiskResponse } from "./schemas.ts";

/** GET /api/report/at-risk: moments of truth (+1 / −12) and who is at risk, with the reason */
export async function atRiskRoutes(api: FastifyInstance, deps: ReportDeps): Promise<void> {
  reportRoute(api, {
    name: "at-risk",
    summary: "Moments of truth and risk: balance +1/−12, the at-risk list with its reason",
    query: ReportQuery,
    response: RiskResponse,
    now: deps.now,
    compute: (q, p) => riskReport(deps.store, p, whoOf(q), deps.bundle().shop.lifecycle.lapseFactor),
    table: tables["at-risk"],
  });
}
