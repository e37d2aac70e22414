import { STAGE_TITLES } from "../model/domain.ts";
import type { CohortsReport } from "./cohorts.ts";
import type { DropoffReport } from "./dropoff.ts";
import type { FeedbackReport } from "./feedback.ts";
import type { FunnelView } from "./funnel-view.ts";
import type { RiskReport } from "./risk.ts";
import type { SourcesReport } from "./sources.ts";
import type { StaffReport } from "./staff.ts";

/**
 * Each report's main table, as the owner reads it (Russian column titles, money in
 * roubles, shares in %, times in minutes or dates): the CSV download, the terminal and
 * the pages all print these, so what the page shows is what the file holds.
 */
export type Cell = string | number | null;
export interface Table {
  columns: string[];
  rows: Cell[][];
}

const pct = (x: number | null) => (x === null ? null : Math.round(x * 1000) / 10);
const rub = (kopecks: number) => Math.round(kopecks) / 100;
const minutes = (ms: number | null) => (ms === null ? null : Math.round(ms / 6000) / 10);
const hours = (ms: number | null) => (ms === null ? null : Math.round(ms / 360_000) / 10);
export const date = (t: number | null) => (t === null ? null : new Date(t).toISOString().slice(0, 16).replace("T", " "));

export const tables = {
  funnel(r: FunnelView): Table {
    const prev = new Map(r.previous?.rows.map((x) => [x.stage, x.reached]));
    return {
      columns: ["этап", "контактов", "конверсия, %", "медиана от предыдущего, ч", "прошлый период"],
      rows: [
        ...r.rows.map((x) => [STAGE_TITLES[x.stage].ru, x.reached, pct(x.conversion), hours(x.medianMsFromPrevious), prev.get(x.stage) ?? null]),
        [STAGE_TITLES.churned.ru, r.churned, null, null, r.previous?.churned ?? null],
      ],
    };
  },
  sources(r: SourcesReport): Table {
    return {
      columns: ["источник", "новых контактов", "купили", "конверсия, %", "первых заказов", "заказов", "выручка, ₽"],
      rows: [...r.rows, r.total].map((s) => [s.source, s.contacts, s.converted, pct(s.conversion), s.firstOrders, s.orders, rub(s.revenue)]),
    };
  },
  dropoff(r: DropoffReport): Table {
    return {
      columns: ["сценарий", "шаг", "тип", "дошли", "остановились", "доля остановившихся, %", "последний шаг"],
      rows: r.flows.flatMap((f) => f.steps.map((s) => [f.flow, s.step, s.kind, s.reached, s.stopped, pct(s.rate), s.terminal ? "да" : "нет"])),
    };
  },
  feedback(r: FeedbackReport): Table {
    return {
      columns: ["когда", "контакт", "имя", "шкала", "оценка", "кто занимался", "первый ответ", "решено", "итог"],
      rows: r.lowScores.map((l) => [date(l.at), l.contactId, l.name, l.scale.toUpperCase(), l.score, l.handledBy.join(", "), date(l.firstReplyAt), date(l.resolvedAt), OUTCOME[l.outcome]]),
    };
  },
  answers(r: FeedbackReport): Table {
    return { columns: ["когда", "контакт", "имя", "ответ"], rows: r.answers.map((a) => [date(a.at), a.contactId, a.name, a.text]) };
  },
  "at-risk"(r: RiskReport): Table {
    return {
      columns: ["контакт", "имя", "канал", "баланс", "причина", "что случилось", "с", "просрочка, дн"],
      rows: r.atRisk.map((a) => [a.contactId, a.name, a.channel, a.balance, REASON[a.reason], a.detail, date(a.since), a.daysOverdue]),
    };
  },
  cohorts(r: CohortsReport): Table {
    const span = Math.max(0, ...r.cohorts.map((c) => c.retention.length));
    return {
      columns: ["когорта", "покупателей", ...Array.from({ length: span }, (_, k) => `месяц ${k}, %`)],
      rows: r.cohorts.map((c) => [c.month, c.customers, ...Array.from({ length: span }, (_, k) => pct(c.retention[k] ?? null))]),
    };
  },
  staff(r: StaffReport): Table {
    return {
      columns: ["сотрудник", "чатов", "ответов", "медиана первого ответа, мин", "медиана решения, мин", "решено"],
      rows: r.operators.map((o) => [o.operator, o.chats, o.replies, minutes(o.medianFirstResponseMs), minutes(o.medianResolutionMs), o.resolved]),
    };
  },
};

export const OUTCOME = { resolved: "решено", in_progress: "в работе", not_taken: "никто не взял" } as const;
export const REASON = { bad_moment: "плохой момент не исправлен", overdue: "давно не покупал" } as const;
