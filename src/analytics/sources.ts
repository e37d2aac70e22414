import type { AnalyticsPort, StoreKind } from "../store/port.ts";
import { counts, inPeriod, matches, ratio, reads, sourceGroup, type Period, type Who } from "./common.ts";

/**
 * Where customers come from, by first-touch source (a friend's code counts under
 * "referrals", a contact with none under "direct"): for the period, the new contacts,
 * how many of them ordered by its end, the first orders placed in it (by anyone of
 * the source) and the revenue of its orders (cancelled ones left out), in minor units.
 */
export interface SourceRow {
  source: string;
  /** contacts first seen in the period */
  contacts: number;
  /** of those, how many had ordered by the period's end */
  converted: number;
  conversion: number | null;
  /** first orders placed in the period */
  firstOrders: number;
  /** orders placed in the period and their total */
  orders: number;
  revenue: number;
}

export interface SourcesReport extends Period {
  audience: string;
  rows: SourceRow[];
  total: SourceRow;
}

const firstSeen = (c: { stagesReached: { awareness?: number }; createdAt: number }) => c.stagesReached.awareness ?? c.createdAt;

export async function sourcesReport(store: AnalyticsPort & StoreKind, p: Period, who: Who): Promise<SourcesReport> {
  const r = reads(store);
  const [contacts, orders] = await Promise.all([r.contacts(), r.orders()]);
  const mine = new Map(contacts.filter((c) => matches(c, who)).map((c) => [c.id, c]));
  const rows = new Map<string, SourceRow>();
  const row = (source: string) => {
    let s = rows.get(source);
    if (!s) rows.set(source, (s = { source, contacts: 0, converted: 0, conversion: null, firstOrders: 0, orders: 0, revenue: 0 }));
    return s;
  };
  const firstOrderAt = new Map<string, number>();
  for (const o of orders) {
    if (!counts(o) || !mine.has(o.contactId)) continue;
    const prev = firstOrderAt.get(o.contactId);
    if (prev === undefined || o.createdAt < prev) firstOrderAt.set(o.contactId, o.createdAt);
    if (inPeriod(o.createdAt, p)) {
      const s = row(sourceGroup(mine.get(o.contactId)!.source));
      s.orders++;
      s.revenue += o.total;
    }
  }
  for (const c of mine.values()) {
    const first = firstOrderAt.get(c.id);
    const isNew = inPeriod(firstSeen(c), p);
    const firstInPeriod = inPeriod(first, p);
    if (!isNew && !firstInPeriod) continue;
    const s = row(sourceGroup(c.source));
    if (isNew) {
      s.contacts++;
      if (first !== undefined && first < p.to) s.converted++;
    }
    if (firstInPeriod) s.firstOrders++;
  }
  const list = [...rows.values()];
  for (const s of list) s.conversion = ratio(s.converted, s.contacts);
  list.sort((a, b) => b.contacts - a.contacts || b.revenue - a.revenue || (a.source < b.source ? -1 : 1));
  const total: SourceRow = { source: "всего", contacts: 0, converted: 0, conversion: null, firstOrders: 0, orders: 0, revenue: 0 };
  for (const s of list) {
    total.contacts += s.contacts;
    total.converted += s.converted;
    total.firstOrders += s.firstOrders;
    total.orders += s.orders;
    total.revenue += s.revenue;
  }
  total.conversion = ratio(total.converted, total.contacts);
  return { ...p, audience: who.audience, rows: list, total };
}
