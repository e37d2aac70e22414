import type { FastifyInstance } from "fastify";
import { staffReport } from "../../analytics/staff.ts";
import { tables } from "../../analytics/tables.ts";
import type { ReportDeps } from "./deps.ts";
import { whoOf } from "./period.ts";
import { reportRoute } from "./route.ts";
import { ReportQuery, StaffResponse } from "./schemas.ts";

/** GET /api/report/staff: chats handed to people, first response and resolution per operator */
export async function staffRoutes(api: FastifyInstance, deps: ReportDeps): Promise<void> {
  reportRoute(api, {
    name: "staff",
    summary: "Staff: chats, first response and resolution per operator",
    query: ReportQuery,
    response: StaffResponse,
    now: deps.now,
    compute: (q, p) => staffReport(deps.store, p, whoOf(q)),
    table: tables.staff,
  });
}
