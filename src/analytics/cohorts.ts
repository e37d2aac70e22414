import type { AnalyticsPort, StoreKind } from "../store/port.ts";
import { counts, matches, monthOf, monthsBetween, ratio, reads, type Period, type Who } from "./common.ts";

/**
 * Retention: customers grouped by the month of their first order (cohorts), and for
 * each month after, the share of the cohort who ordered in that month; the
 * repeat-purchase rate (two orders or more, of those with one), the churned; and the
 * seed's line to beat — a small business loses half its customers in three years,
 * 0.5^(months/36) still buying.
 */
export interface Cohort {
  month: string;
  customers: number;
  /** share of the cohort who ordered in month +k (k = 0 is the first month: 1) */
  retention: (number | null)[];
}

export interface CohortsReport extends Period {
  cohorts: Cohort[];
  customers: number;
  repeatCustomers: number;
  repeatRate: number | null;
  churned: number;
  /** the line to beat, per month offset */
  halfInThreeYears: number[];
}

export async function cohortsReport(store: AnalyticsPort & StoreKind, p: Period, who: Who): Promise<CohortsReport> {
  const r = reads(store);
  const [contacts, orders] = await Promise.all([r.contacts(), r.orders()]);
  const mine = new Map(contacts.filter((c) => matches(c, who)).map((c) => [c.id, c]));
  const months = new Map<string, Set<string>>(); // contact -> months ordered (up to the period's end)
  const first = new Map<string, number>();
  const ordersOf = new Map<string, number>();
  for (const o of orders) {
    if (!counts(o) || !mine.has(o.contactId) || o.createdAt >= p.to) continue;
    let m = months.get(o.contactId);
    if (!m) months.set(o.contactId, (m = new Set()));
    m.add(monthOf(o.createdAt));
    const f = first.get(o.contactId);
    if (f === undefined || o.createdAt < f) first.set(o.contactId, o.createdAt);
    ordersOf.set(o.contactId, (ordersOf.get(o.contactId) ?? 0) + 1);
  }
  const last = monthOf(p.to - 1);
  const byCohort = new Map<string, string[]>();
  for (const [id, t] of first) {
    if (t < p.from) continue;
    const m = monthOf(t);
    let g = byCohort.get(m);
    if (!g) byCohort.set(m, (g = []));
    g.push(id);
  }
  const cohorts: Cohort[] = [...byCohort]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([month, ids]) => {
      const span = monthsBetween(month, last);
      const retention: (number | null)[] = [];
      for (let k = 0; k <= span; k++) {
        const target = addMonths(month, k);
        retention.push(ratio(ids.filter((id) => months.get(id)!.has(target)).length, ids.length));
      }
      return { month, customers: ids.length, retention };
    });
  const span = cohorts.length ? monthsBetween(cohorts[0]!.month, last) : 0;
  const buyers = [...first.keys()];
  const repeat = buyers.filter((id) => (ordersOf.get(id) ?? 0) >= 2).length;
  return {
    ...p,
    cohorts,
    customers: buyers.length,
    repeatCustomers: repeat,
    repeatRate: ratio(repeat, buyers.length),
    churned: [...mine.values()].filter((c) => c.stagesReached.churned !== undefined && c.stagesReached.churned < p.to && c.stage === "churned").length,
    halfInThreeYears: Array.from({ length: Math.max(span, 36) + 1 }, (_, k) => Math.round(0.5 ** (k / 36) * 1000) / 1000),
  };
}

export function addMonths(month: string, k: number): string {
  const [y, m] = month.split("-").map(Number) as [number, number];
  const n = y * 12 + (m - 1) + k;
  return `${Math.floor(n / 12)}-${String((n % 12) + 1).padStart(2, "0")}`;
}
