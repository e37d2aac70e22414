import type { AnalyticsPort, StoreKind } from "../store/port.ts";
import { DAY, contactChatKey, matches, reads, type Period, type Who } from "./common.ts";

/**
 * Moments of truth and risk. Each good moment counts +1 and each bad one −12 (one bad
 * takes about twelve good to repair): the period's tally, and the contacts at risk
 * with the reason —
 * - bad_moment: their balance is below zero, a bad moment not yet made good;
 * - overdue: they buy on a rhythm of their own (two orders or more) and the last
 *   order is more than `lapseFactor` of their interval ago, at the period's end.
 * Churned contacts are gone, not at risk. Worst first: bad moments by balance, then
 * the most overdue.
 */
export interface AtRisk {
  contactId: string;
  name: string | null;
  channel: string | null;
  conversationKey: string | null;
  balance: number;
  reason: "bad_moment" | "overdue";
  /** what happened: the last bad moment's line, or "N days since the last order (usually every M)" */
  detail: string;
  /** when: the bad moment, or the last order */
  since: number;
  daysOverdue: number | null;
}

export interface RiskReport extends Period {
  moments: { good: number; bad: number; balance: number };
  /** contacts by balance band */
  balances: { band: string; contacts: number }[];
  atRisk: AtRisk[];
}

const BANDS: [string, (b: number) => boolean][] = [
  ["≤ −12", (b) => b <= -12],
  ["−11…−1", (b) => b < 0 && b > -12],
  ["0", (b) => b === 0],
  ["1…11", (b) => b > 0 && b < 12],
  ["≥ 12", (b) => b >= 12],
];

export async function riskReport(store: AnalyticsPort & StoreKind, p: Period, who: Who, lapseFactor: number): Promise<RiskReport> {
  const r = reads(store);
  // a bad moment's line is looked up within a year before the period's end
  const [contacts, events] = await Promise.all([r.contacts(), r.events(p.to - 365 * DAY, p.to)]);
  const mine = contacts.filter((c) => matches(c, who));
  const ids = new Set(mine.map((c) => c.id));
  let good = 0;
  let bad = 0;
  const lastBad = new Map<string, { at: number; summary: string }>();
  for (const e of events) {
    if (!ids.has(e.contactId) || e.moment === undefined) continue;
    if (e.at >= p.from) {
      if (e.moment === "good") good++;
      else bad++;
    }
    if (e.moment === "bad") lastBad.set(e.contactId, { at: e.at, summary: e.summary });
  }
  const atRisk: AtRisk[] = [];
  for (const c of mine) {
    if (c.stage === "churned") continue;
    const base = { contactId: c.id, name: c.name ?? null, channel: c.identities[0]?.channel ?? null, conversationKey: contactChatKey(c) ?? null, balance: c.balance };
    if (c.balance < 0) {
      const b = lastBad.get(c.id);
      atRisk.push({ ...base, reason: "bad_moment", detail: b?.summary ?? "плохой момент", since: b?.at ?? c.updatedAt, daysOverdue: null });
      continue;
    }
    if (c.orderIntervalDays !== undefined && c.lastOrderAt !== undefined && c.orderCount >= 2 && c.lastOrderAt < p.to) {
      const days = (p.to - c.lastOrderAt) / DAY;
      if (days > c.orderIntervalDays * lapseFactor) {
        atRisk.push({
          ...base,
          reason: "overdue",
          detail: `${Math.floor(days)} дн. с последнего заказа (обычно раз в ${c.orderIntervalDays} дн.)`,
          since: c.lastOrderAt,
          daysOverdue: Math.round((days - c.orderIntervalDays) * 10) / 10,
        });
      }
    }
  }
  atRisk.sort(
    (a, b) =>
      (a.reason === b.reason ? 0 : a.reason === "bad_moment" ? -1 : 1) ||
      a.balance - b.balance ||
      (b.daysOverdue ?? 0) - (a.daysOverdue ?? 0) ||
      (a.contactId < b.contactId ? -1 : 1),
  );
  return {
    ...p,
    moments: { good, bad, balance: good - 12 * bad },
    balances: BANDS.map(([band, test]) => ({ band, contacts: mine.filter((c) => test(c.balance)).length })),
    atRisk,
  };
}
