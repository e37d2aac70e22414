import type { FastifyInstance } from "fastify";
import { feedbackReport } from "../../analytics/feedback.ts";
import { tables } from "../../analytics/tables.ts";
import type { ReportDeps } from "./deps.ts";
import { whoOf } from "./period.ts";
import { reportRoute } from "./route.ts";
import { FeedbackQuery, FeedbackResponse } from "./schemas.ts";

/** GET /api/report/feedback: CSAT, NPS over time, open answers (?q= searches), low scores and their handling */
export async function feedbackRoutes(api: FastifyInstance, deps: ReportDeps): Promise<void> {
  reportRoute(api, {
    name: "feedback",
    summary: "Voice of the customer: CSAT, NPS per week, open answers (searchable), low scores with who handled them",
    query: FeedbackQuery,
    response: FeedbackResponse,
    now: deps.now,
    compute: (q, p) => feedbackReport(deps.store, p, whoOf(q), q.q),
    table: tables.feedback,
  });
}
