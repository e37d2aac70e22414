import type { Order } from "../model/domain.ts";

/**
 * What the orders of a period came to, from the figures each order keeps (computed
 * once when it was placed, src/engine/money): nothing is priced again here, so the
 * report says what the chat and the staff API said.
 */
export interface MoneyReport {
  from: number;
  to: number;
  orders: number;
  paid: number;
  /** kopecks */
  goods: number;
  promo: number;
  points: number;
  delivery: number;
  total: number;
  /** each order's own figures, newest first */
  rows: { id: string; number: string; createdAt: number; status: string; paid: boolean; total: number; goods: number; delivery: number; promo: number; points: number }[];
}

export function moneyReport(orders: readonly Order[], from: number, to: number): MoneyReport {
  const inPeriod = orders.filter((o) => o.createdAt >= from && o.createdAt < to && o.status !== "cancelled");
  const r: MoneyReport = { from, to, orders: inPeriod.length, paid: 0, goods: 0, promo: 0, points: 0, delivery: 0, total: 0, rows: [] };
  for (const o of inPeriod) {
    const t = o.totals ?? { goods: o.total, promo: 0, points: 0, delivery: 0, total: o.total, earned: 0 };
    const paid = o.payment?.status === "paid";
    if (paid) r.paid++;
    r.goods += t.goods;
    r.promo += t.promo;
    r.points += t.points;
    r.delivery += t.delivery;
    r.total += o.total;
    r.rows.push({ id: o.id, number: o.number, createdAt: o.createdAt, status: o.status, paid, total: o.total, goods: t.goods, delivery: t.delivery, promo: t.promo, points: t.points });
  }
  return r;
}
