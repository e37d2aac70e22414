import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { requireRole } from "../staff/auth.ts";
import { langOf } from "../staff/i18n.ts";
import { layout } from "../staff/layout.ts";
import type { ReportDeps } from "./deps.ts";
import { reportAssets } from "./page-assets.ts";
import { esc, periodForm, tableHtml, type View } from "./pages/html.ts";
import { atRiskPage, cohortsPage, staffPage } from "./pages/people.ts";
import { dropoffPage, feedbackPage, funnelPage, sourcesPage, type ViewInput } from "./pages/sales.ts";
import { periodOf, whoOf } from "./period.ts";
import { FeedbackQuery, FunnelQuery } from "./schemas.ts";

/**
 * The owner's report pages under /staff/reports (owner and viewer): one page per
 * report in the staff layout — the period and filters as a plain GET form, the
 * headline figures, the chart (Chart.js from node_modules, drawn by reports.js from
 * the JSON beside it), the table (the same table as the CSV download, so the page,
 * the file and the API agree), the CSV link.
 */
const PAGES = {
  funnel: "Воронка",
  sources: "Источники",
  dropoff: "Где уходят",
  feedback: "Голос клиента",
  "at-risk": "Моменты истины и риск",
  cohorts: "Удержание",
  staff: "Сотрудники",
} as const;
type Page = keyof typeof PAGES;

/** each page's view: its figures, chart and table (pages/sales.ts, pages/people.ts) */
const VIEWS: Record<Page, (input: ViewInput) => Promise<View>> = {
  funnel: funnelPage,
  sources: sourcesPage,
  dropoff: dropoffPage,
  feedback: feedbackPage,
  "at-risk": atRiskPage,
  cohorts: cohortsPage,
  staff: staffPage,
};

async function build(page: Page, deps: ReportDeps, q: Record<string, string>): Promise<View> {
  const parsed = (page === "funnel" ? FunnelQuery : FeedbackQuery).parse(q);
  return VIEWS[page]({ deps, p: periodOf(parsed, deps.now()), who: whoOf(parsed), parsed, q });
}

export async function reportPages(app: FastifyInstance, deps: ReportDeps): Promise<void> {
  await reportAssets(app);
  const gate = { preHandler: requireRole("owner", "viewer") };
  app.get("/staff/reports", gate, async (_req, reply) => reply.redirect("/staff/reports/funnel", 303));
  app.get<{ Params: { name: string }; Querystring: Record<string, string> }>("/staff/reports/:name", gate, async (req, reply) => {
    if (!Object.hasOwn(PAGES, req.params.name)) return reply.code(404).send({ error: "not_found", message: "нет такого отчёта" });
    const page = req.params.name as Page;
    const q = Object.fromEntries(Object.entries(req.query).filter(([, v]) => typeof v === "string" && v !== "")) as Record<string, string>;
    if (q.from && !q.to) q.to = new Date(deps.now()).toISOString().slice(0, 10);
    if (q.from) delete q.days;
    let view: View;
    try {
      view = await build(page, deps, q);
    } catch (err) {
      return sendReport(req, reply, page, `<p class="error">Не получилось построить отчёт: ${esc((err as Error).message)}</p>${periodForm(q)}`);
    }
    const csv = `/api/report/${page}?${new URLSearchParams({ ...q, format: "csv" }).toString()}`;
    const body = `${periodForm(q)}
<div class="kpis">${view.kpis.map(([k, v]) => `<div class="kpi"><span>${esc(k)}</span><b${v.length > 10 ? ' class="words"' : ""} data-kpi="${esc(k)}">${esc(v)}</b></div>`).join("")}</div>
<div class="chart-box"><canvas id="chart" aria-label="${esc(PAGES[page])}"></canvas></div>
<script type="application/json" id="chart-data">${JSON.stringify(view.chart).replace(/</g, "\\u003c")}</script>
<a class="csv button" href="${esc(csv)}" download>Скачать CSV</a>
${tableHtml(view.table).replace("data-table", 'data-table id="main-table"')}${view.extra ?? ""}`;
    return sendReport(req, reply, page, body);
  });
}

function sendReport(req: FastifyRequest, reply: FastifyReply, page: Page, inner: string): FastifyReply {
  const nav = (Object.keys(PAGES) as Page[]).map((p) => `<a href="/staff/reports/${p}"${p === page ? ' class="on"' : ""}>${esc(PAGES[p])}</a>`).join("");
  const body = `<link rel="stylesheet" href="/staff/reports/assets/reports.css"><h1>${esc(PAGES[page])}</h1><nav class="report-nav">${nav}</nav>${inner}
<script src="/staff/reports/assets/chart.umd.min.js"></script><script src="/staff/reports/assets/reports.js"></script>`;
  return reply
    .type("text/html; charset=utf-8")
    .header("cache-control", "no-store")
    .send(layout({ lang: langOf(req), title: PAGES[page], active: "reports", ...(req.staffCaller ? { caller: req.staffCaller } : {}) }, body));
}
