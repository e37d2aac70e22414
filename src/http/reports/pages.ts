import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { cohortsReport } from "../../analytics/cohorts.ts";
import { dropoffReport } from "../../analytics/dropoff.ts";
import { feedbackReport } from "../../analytics/feedback.ts";
import { funnelView } from "../../analytics/funnel-view.ts";
import { riskReport } from "../../analytics/risk.ts";
import { sourcesReport } from "../../analytics/sources.ts";
import { staffReport } from "../../analytics/staff.ts";
import { tables, type Table } from "../../analytics/tables.ts";
import { CHANNELS } from "../../model/channel.ts";
import { AUDIENCES, STAGE_TITLES } from "../../model/domain.ts";
import { requireRole } from "../staff/auth.ts";
import { langOf } from "../staff/i18n.ts";
import { layout } from "../staff/layout.ts";
import type { ReportDeps } from "./deps.ts";
import { periodOf, whoOf } from "./period.ts";
import { FeedbackQuery, FunnelQuery } from "./schemas.ts";

/**
 * The owner's report pages under /staff/reports (owner and viewer): one page per
 * report in the staff layout — the period and filters as a plain GET form, the
 * headline figures, the chart (Chart.js from node_modules, drawn by reports.js from
 * the JSON beside it), the table (the same table as the CSV download, so the page,
 * the file and the API agree), the CSV link.
 */
const require = createRequire(import.meta.url);
const ASSETS: Record<string, { type: string; body: Buffer }> = {
  "chart.umd.min.js": { type: "text/javascript; charset=utf-8", body: readFileSync(join(dirname(require.resolve("chart.js")), "chart.umd.min.js")) },
  "reports.js": { type: "text/javascript; charset=utf-8", body: readFileSync(new URL("./assets/reports.js", import.meta.url)) },
  "reports.css": { type: "text/css; charset=utf-8", body: readFileSync(new URL("./assets/reports.css", import.meta.url)) },
};

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

const esc = (s: unknown) => String(s ?? "").replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const pct = (x: number | null) => (x === null ? "—" : `${Math.round(x * 1000) / 10} %`);
const num = (x: number | null) => (x === null ? "—" : x.toLocaleString("ru-RU"));

interface View {
  kpis: [string, string][];
  chart: Record<string, unknown>;
  table: Table;
  extra?: string;
}

function tableHtml(t: Table): string {
  const head = t.columns.map((c) => `<th>${esc(c)}</th>`).join("");
  const rows = t.rows.map((r) => `<tr>${r.map((v) => `<td${typeof v === "string" && v.length > 24 ? ' class="text"' : ""}>${v === null ? "—" : esc(typeof v === "number" ? v.toLocaleString("ru-RU") : v)}</td>`).join("")}</tr>`).join("");
  return `<div class="table-wrap"><table class="report" data-table><thead><tr>${head}</tr></thead><tbody>${rows || `<tr><td colspan="${t.columns.length}">Нет данных за этот период</td></tr>`}</tbody></table></div>`;
}

async function build(page: Page, deps: ReportDeps, q: Record<string, string>): Promise<View> {
  const parsed = (page === "funnel" ? FunnelQuery : FeedbackQuery).parse(q);
  const p = periodOf(parsed, deps.now());
  const who = whoOf(parsed);
  const store = deps.store;
  switch (page) {
    case "funnel": {
      const r = await funnelView(store, p, who, undefined, deps.now());
      return {
        kpis: [["Осознание", num(r.rows[0]!.reached)], ["Первый заказ", num(r.rows[5]!.reached)], ["Из осознания в заказ", pct(r.rows[0]!.reached ? r.rows[5]!.reached / r.rows[0]!.reached : null)], ["Ушли", num(r.churned)]],
        chart: { type: "bar", horizontal: true, labels: r.rows.map((x) => STAGE_TITLES[x.stage].ru), series: [{ label: "этот период", data: r.rows.map((x) => x.reached) }, { label: "прошлый период", data: r.previous.rows.map((x) => x.reached), color: "#cbd5e1" }] },
        table: tables.funnel(r),
      };
    }
    case "sources": {
      const r = await sourcesReport(store, p, who);
      return {
        kpis: [["Новых контактов", num(r.total.contacts)], ["Купили", num(r.total.converted)], ["Конверсия", pct(r.total.conversion)], ["Выручка, ₽", num(Math.round(r.total.revenue / 100))]],
        chart: { type: "bar", labels: r.rows.map((x) => x.source), series: [{ label: "новых контактов", data: r.rows.map((x) => x.contacts) }, { label: "купили", data: r.rows.map((x) => x.converted), color: "#16a34a" }] },
        table: tables.sources(r),
      };
    }
    case "dropoff": {
      const r = await dropoffReport(store, deps.bundle(), p, parsed.audience, deps.now());
      const worst = r.worst.slice(0, 12);
      return {
        kpis: worst[0] ? [["Больше всего уходят", `${worst[0].flow}.${worst[0].step}`], ["Остановились там", num(worst[0].stopped)], ["Из дошедших", pct(worst[0].rate)]] : [["Остановок нет", "—"]],
        chart: { type: "bar", horizontal: true, labels: worst.map((s) => `${s.flow}.${s.step}`), series: [{ label: "остановились", data: worst.map((s) => s.stopped), color: "#c2410c" }, { label: "дошли", data: worst.map((s) => s.reached), color: "#cbd5e1" }] },
        // steps nobody reached stay in the CSV, not on the page
        table: { ...tables.dropoff(r), rows: tables.dropoff(r).rows.filter((row) => row[3] !== 0) },
      };
    }
    case "feedback": {
      const r = await feedbackReport(store, p, who, q.q);
      const answers = tables.answers(r);
      return {
        kpis: [["CSAT, среднее", r.csat.average === null ? "—" : String(r.csat.average).replace(".", ",")], ["Оценок CSAT", num(r.csat.count)], ["NPS", r.nps.score === null ? "—" : String(r.nps.score).replace(".", ",")], ["Низких оценок", num(r.lowScores.length)]],
        chart: { type: "bar", labels: r.csat.distribution.map((d) => `CSAT ${d.score}`), series: [{ label: "оценок", data: r.csat.distribution.map((d) => d.count) }] },
        table: tables.feedback(r),
        extra: `<h2>NPS по неделям</h2>${tableHtml({ columns: ["неделя с", "ответов", "NPS"], rows: r.nps.weeks.map((w) => [new Date(w.from).toISOString().slice(0, 10), w.count, w.score]) })}
<h2>Открытые ответы</h2><form class="period" method="get">${hidden(q, ["q"])}<label>Поиск<input name="q" value="${esc(q.q ?? "")}" placeholder="доставка"></label><button>Найти</button></form>${tableHtml(answers)}`,
      };
    }
    case "at-risk": {
      const r = await riskReport(store, p, who, deps.bundle().shop.lifecycle.lapseFactor);
      const rows = r.atRisk.map((a) => `<tr><td>${esc(a.name ?? "без имени")}</td><td>${esc(a.channel)}</td><td>${a.balance}</td><td class="text">${esc(a.detail)}</td><td>${a.conversationKey ? `<a href="/staff/chat/${encodeURIComponent(a.conversationKey)}">открыть чат</a>` : "—"}</td></tr>`);
      return {
        kpis: [["Хороших моментов", num(r.moments.good)], ["Плохих моментов", num(r.moments.bad)], ["Баланс (+1 / −12)", num(r.moments.balance)], ["В зоне риска", num(r.atRisk.length)]],
        chart: { type: "bar", labels: r.balances.map((b) => b.band), series: [{ label: "контактов", data: r.balances.map((b) => b.contacts), color: "#9333ea" }] },
        table: tables["at-risk"](r),
        extra: `<h2>Кому написать</h2><div class="table-wrap"><table class="report"><thead><tr><th>кто</th><th>канал</th><th>баланс</th><th>что случилось</th><th></th></tr></thead><tbody>${rows.join("") || '<tr><td colspan="5">Никого</td></tr>'}</tbody></table></div>`,
      };
    }
    case "cohorts": {
      const r = await cohortsReport(store, p, who);
      const span = Math.max(1, ...r.cohorts.map((c) => c.retention.length));
      const avg = Array.from({ length: span }, (_, k) => {
        const xs = r.cohorts.map((c) => c.retention[k]).filter((x): x is number => typeof x === "number");
        return xs.length ? Math.round((xs.reduce((a, b) => a + b, 0) / xs.length) * 1000) / 10 : null;
      });
      return {
        kpis: [["Покупателей", num(r.customers)], ["Купили повторно", pct(r.repeatRate)], ["Ушли", num(r.churned)]],
        chart: { type: "line", percent: true, labels: avg.map((_, k) => `месяц ${k}`), series: [{ label: "покупали в этом месяце, %", data: avg, type: "line" }, { label: "«половина за три года» — линия, которую надо обойти", data: r.halfInThreeYears.slice(0, span).map((x) => Math.round(x * 1000) / 10), type: "line", color: "#c2410c", dash: true }] },
        table: tables.cohorts(r),
        extra: heatmap(r.cohorts),
      };
    }
    case "staff": {
      const r = await staffReport(store, p, who);
      const min = (ms: number | null) => (ms === null ? "—" : `${Math.round(ms / 60_000)} мин`);
      return {
        kpis: [["Передано людям", num(r.cases)], ["Без ответа", num(r.unanswered)], ["Первый ответ, медиана", min(r.medianFirstResponseMs)], ["Решение, медиана", min(r.medianResolutionMs)]],
        chart: { type: "bar", labels: r.operators.map((o) => o.operator), series: [{ label: "первый ответ, мин", data: r.operators.map((o) => (o.medianFirstResponseMs === null ? null : Math.round(o.medianFirstResponseMs / 60_000))) }, { label: "решение, мин", data: r.operators.map((o) => (o.medianResolutionMs === null ? null : Math.round(o.medianResolutionMs / 60_000))), color: "#94a3b8" }] },
        table: tables.staff(r),
      };
    }
  }
}

function heatmap(cohorts: { month: string; customers: number; retention: (number | null)[] }[]): string {
  const span = Math.max(0, ...cohorts.map((c) => c.retention.length));
  const cell = (x: number | null | undefined) => {
    if (x === null || x === undefined) return "<td></td>";
    const a = Math.round(x * 100);
    return `<td class="heat" style="background: rgba(37, 99, 235, ${(0.08 + x * 0.8).toFixed(2)})">${a} %</td>`;
  };
  const head = Array.from({ length: span }, (_, k) => `<th>мес. ${k}</th>`).join("");
  const rows = cohorts.map((c) => `<tr><td>${esc(c.month)}</td><td>${c.customers}</td>${Array.from({ length: span }, (_, k) => cell(c.retention[k])).join("")}</tr>`).join("");
  return `<h2>Когорты по месяцу первого заказа</h2><div class="table-wrap"><table class="report heatmap"><thead><tr><th>когорта</th><th>покупателей</th>${head}</tr></thead><tbody>${rows || '<tr><td colspan="2">Пока нет заказов</td></tr>'}</tbody></table></div>`;
}

function hidden(q: Record<string, string>, except: string[]): string {
  return Object.entries(q)
    .filter(([k]) => !except.includes(k) && ["from", "to", "days", "audience", "channel", "source"].includes(k))
    .map(([k, v]) => `<input type="hidden" name="${esc(k)}" value="${esc(v)}">`)
    .join("");
}

function periodForm(q: Record<string, string>): string {
  const days = q.from ? "custom" : (q.days ?? "30");
  const opt = (v: string, label: string, cur: string | undefined) => `<option value="${esc(v)}"${cur === v ? " selected" : ""}>${esc(label)}</option>`;
  return `<form class="period" method="get">
<label>Период<select name="days">${opt("7", "7 дней", days)}${opt("30", "30 дней", days)}${opt("90", "90 дней", days)}</select></label>
<label>или с<input type="date" name="from" value="${esc(q.from ?? "")}"></label><label>по<input type="date" name="to" value="${esc(q.to ?? "")}"></label>
<label>Кто<select name="audience">${opt("customer", "покупатели", q.audience ?? "customer")}${AUDIENCES.filter((a) => a !== "customer").map((a) => opt(a, a, q.audience)).join("")}${opt("all", "все", q.audience)}</select></label>
<label>Канал<select name="channel">${opt("", "все", q.channel ?? "")}${CHANNELS.map((c) => opt(c, c, q.channel)).join("")}</select></label>
<button class="primary">Показать</button></form>`;
}

export async function reportPages(app: FastifyInstance, deps: ReportDeps): Promise<void> {
  app.get<{ Params: { name: string } }>("/staff/reports/assets/:name", async (req, reply) => {
    const file = Object.hasOwn(ASSETS, req.params.name) ? ASSETS[req.params.name] : undefined;
    if (!file) return reply.code(404).send({ error: "not_found", message: "no such file" });
    return reply.type(file.type).header("cache-control", "public, max-age=300").send(file.body);
  });
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
<div class="kpis">${view.kpis.map(([k, v]) => `<div class="kpi"><span>${esc(k)}</span><b data-kpi="${esc(k)}">${esc(v)}</b></div>`).join("")}</div>
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
