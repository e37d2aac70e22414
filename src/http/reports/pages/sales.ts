import { stepLabel } from "../../../analytics/step-label.ts";
import type { Period } from "../../../analytics/common.ts";
import type { ReportDeps } from "../deps.ts";
import type { whoOf } from "../period.ts";
import type { FeedbackQuery, FunnelQuery } from "../schemas.ts";
import type { z } from "zod";
import { dropoffReport } from "../../../analytics/dropoff.ts";
import { feedbackReport } from "../../../analytics/feedback.ts";
import { funnelView } from "../../../analytics/funnel-view.ts";
import { sourcesReport } from "../../../analytics/sources.ts";
import { tables } from "../../../analytics/tables.ts";
import { STAGE_TITLES } from "../../../model/domain.ts";
import { esc, hidden, num, pct, tableHtml, type View } from "./html.ts";

/** what a report page's view is built from: the query as given and as parsed, its period and who */
export interface ViewInput {
  deps: ReportDeps;
  p: Period;
  who: ReturnType<typeof whoOf>;
  parsed: z.output<typeof FunnelQuery> | z.output<typeof FeedbackQuery>;
  q: Record<string, string>;
}

export async function funnelPage({ deps, p, who, parsed, q }: ViewInput): Promise<View> {
  const store = deps.store;
  const r = await funnelView(store, p, who, undefined, deps.now());
  return {
    kpis: [["Осознание", num(r.rows[0]!.reached)], ["Первый заказ", num(r.rows[5]!.reached)], ["Из осознания в заказ", pct(r.rows[0]!.reached ? r.rows[5]!.reached / r.rows[0]!.reached : null)], ["Ушли", num(r.churned)]],
    chart: { type: "bar", horizontal: true, labels: r.rows.map((x) => STAGE_TITLES[x.stage].ru), series: [{ label: "этот период", data: r.rows.map((x) => x.reached) }, { label: "прошлый период", data: r.previous.rows.map((x) => x.reached), color: "#cbd5e1" }] },
    table: tables.funnel(r),
  };
}

export async function sourcesPage({ deps, p, who, parsed, q }: ViewInput): Promise<View> {
  const store = deps.store;
  const r = await sourcesReport(store, p, who);
  return {
    kpis: [["Новых контактов", num(r.total.contacts)], ["Купили", num(r.total.converted)], ["Конверсия", pct(r.total.conversion)], ["Выручка, ₽", num(Math.round(r.total.revenue / 100))]],
    chart: { type: "bar", labels: r.rows.map((x) => x.source), series: [{ label: "новых контактов", data: r.rows.map((x) => x.contacts) }, { label: "купили", data: r.rows.map((x) => x.converted), color: "#16a34a" }] },
    table: tables.sources(r),
  };
}

export async function dropoffPage({ deps, p, who, parsed, q }: ViewInput): Promise<View> {
  const store = deps.store;
  const r = await dropoffReport(store, deps.bundle(), p, parsed.audience, deps.now());
  const worst = r.worst.slice(0, 12);
  const label = (s: { flow: string; step: string }) => stepLabel(deps.bundle(), s.flow, s.step);
  return {
    kpis: worst[0] ? [["Больше всего уходят", label(worst[0])], ["Остановились там", num(worst[0].stopped)], ["Из дошедших", pct(worst[0].rate)]] : [["Остановок нет", "—"]],
    chart: { type: "bar", horizontal: true, labels: worst.map(label), series: [{ label: "остановились", data: worst.map((s) => s.stopped), color: "#c2410c" }, { label: "дошли", data: worst.map((s) => s.reached), color: "#cbd5e1" }] },
    // steps nobody reached stay in the CSV, not on the page
    table: { ...tables.dropoff(r), rows: tables.dropoff(r).rows.filter((row) => row[3] !== 0) },
  };
}

export async function feedbackPage({ deps, p, who, parsed, q }: ViewInput): Promise<View> {
  const store = deps.store;
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
