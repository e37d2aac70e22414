import { CHANNELS } from "../../../model/channel.ts";
import { AUDIENCES } from "../../../model/domain.ts";
import type { Table } from "../../../analytics/tables.ts";

/** the HTML pieces of the report pages: escaping and numbers, tables, the period form */
export const esc = (s: unknown) => String(s ?? "").replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
export const pct = (x: number | null) => (x === null ? "—" : `${Math.round(x * 1000) / 10} %`);
export const num = (x: number | null) => (x === null ? "—" : x.toLocaleString("ru-RU"));

export interface View {
  kpis: [string, string][];
  chart: Record<string, unknown>;
  table: Table;
  extra?: string;
}

export function tableHtml(t: Table): string {
  const head = t.columns.map((c) => `<th>${esc(c)}</th>`).join("");
  const rows = t.rows.map((r) => `<tr>${r.map((v) => `<td${typeof v === "string" && v.length > 24 ? ' class="text"' : ""}>${v === null ? "—" : esc(typeof v === "number" ? v.toLocaleString("ru-RU") : v)}</td>`).join("")}</tr>`).join("");
  return `<div class="table-wrap"><table class="report" data-table><thead><tr>${head}</tr></thead><tbody>${rows || `<tr><td colspan="${t.columns.length}">Нет данных за этот период</td></tr>`}</tbody></table></div>`;
}

export function heatmap(cohorts: { month: string; customers: number; retention: (number | null)[] }[]): string {
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

export function hidden(q: Record<string, string>, except: string[]): string {
  return Object.entries(q)
    .filter(([k]) => !except.includes(k) && ["from", "to", "days", "audience", "channel", "source"].includes(k))
    .map(([k, v]) => `<input type="hidden" name="${esc(k)}" value="${esc(v)}">`)
    .join("");
}

export function periodForm(q: Record<string, string>): string {
  const days = q.from ? "custom" : (q.days ?? "30");
  const opt = (v: string, label: string, cur: string | undefined) => `<option value="${esc(v)}"${cur === v ? " selected" : ""}>${esc(label)}</option>`;
  return `<form class="period" method="get">
<label>Период<select name="days">${opt("7", "7 дней", days)}${opt("30", "30 дней", days)}${opt("90", "90 дней", days)}</select></label>
<label>или с<input type="date" name="from" value="${esc(q.from ?? "")}"></label><label>по<input type="date" name="to" value="${esc(q.to ?? "")}"></label>
<label>Кто<select name="audience">${opt("customer", "покупатели", q.audience ?? "customer")}${AUDIENCES.filter((a) => a !== "customer").map((a) => opt(a, a, q.audience)).join("")}${opt("all", "все", q.audience)}</select></label>
<label>Канал<select name="channel">${opt("", "все", q.channel ?? "")}${CHANNELS.map((c) => opt(c, c, q.channel)).join("")}</select></label>
<button class="primary">Показать</button></form>`;
}

