import { cohortsReport } from "../../../analytics/cohorts.ts";
import { riskReport } from "../../../analytics/risk.ts";
import { staffReport } from "../../../analytics/staff.ts";
import { tables } from "../../../analytics/tables.ts";
import { esc, heatmap, num, pct, type View } from "./html.ts";
import type { ViewInput } from "./sales.ts";

export async function atRiskPage({ deps, p, who, parsed, q }: ViewInput): Promise<View> {
  const store = deps.store;
  const r = await riskReport(store, p, who, deps.bundle().shop.lifecycle.lapseFactor);
  const rows = r.atRisk.map((a) => `<tr><td>${esc(a.name ?? "без имени")}</td><td>${esc(a.channel)}</td><td>${a.balance}</td><td class="text">${esc(a.detail)}</td><td>${a.conversationKey ? `<a href="/staff/chat/${encodeURIComponent(a.conversationKey)}">открыть чат</a>` : "—"}</td></tr>`);
  return {
    kpis: [["Хороших моментов", num(r.moments.good)], ["Плохих моментов", num(r.moments.bad)], ["Баланс (+1 / −12)", num(r.moments.balance)], ["В зоне риска", num(r.atRisk.length)]],
    chart: { type: "bar", labels: r.balances.map((b) => b.band), series: [{ label: "контактов", data: r.balances.map((b) => b.contacts), color: "#9333ea" }] },
    table: tables["at-risk"](r),
    extra: `<h2>Кому написать</h2><div class="table-wrap"><table class="report"><thead><tr><th>кто</th><th>канал</th><th>баланс</th><th>что случилось</th><th></th></tr></thead><tbody>${rows.join("") || '<tr><td colspan="5">Никого</td></tr>'}</tbody></table></div>`,
  };
}

export async function cohortsPage({ deps, p, who, parsed, q }: ViewInput): Promise<View> {
  const store = deps.store;
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

export async function staffPage({ deps, p, who, parsed, q }: ViewInput): Promise<View> {
  const store = deps.store;
  const r = await staffReport(store, p, who);
  const min = (ms: number | null) => (ms === null ? "—" : `${Math.round(ms / 60_000)} мин`);
  return {
    kpis: [["Передано людям", num(r.cases)], ["Без ответа", num(r.unanswered)], ["Первый ответ, медиана", min(r.medianFirstResponseMs)], ["Решение, медиана", min(r.medianResolutionMs)]],
    chart: { type: "bar", labels: r.operators.map((o) => o.operator), series: [{ label: "первый ответ, мин", data: r.operators.map((o) => (o.medianFirstResponseMs === null ? null : Math.round(o.medianFirstResponseMs / 60_000))) }, { label: "решение, мин", data: r.operators.map((o) => (o.medianResolutionMs === null ? null : Math.round(o.medianResolutionMs / 60_000))), color: "#94a3b8" }] },
    table: tables.staff(r),
  };
}
