import type { AnalyticsPort, StoreKind } from "../store/port.ts";
import { matches, median, reads, type Period, type Who } from "./common.ts";
import { operatorSla, slaCases, type OperatorSla } from "./sla.ts";

/** Chats handed to people in the period, and per operator their count, first response and resolution. */
export interface StaffReport extends Period {
  cases: number;
  unanswered: number;
  unresolved: number;
  medianFirstResponseMs: number | null;
  medianResolutionMs: number | null;
  operators: OperatorSla[];
}

export async function staffReport(store: AnalyticsPort & StoreKind, p: Period, who: Who): Promise<StaffReport> {
  const r = reads(store);
  const [contacts, events] = await Promise.all([r.contacts(), r.events(p.from, p.to)]);
  const ids = new Set(contacts.filter((c) => matches(c, who)).map((c) => c.id));
  const mine = events.filter((e) => ids.has(e.contactId));
  const cases = slaCases(mine);
  return {
    ...p,
    cases: cases.length,
    unanswered: cases.filter((c) => c.firstResponseAt === null).length,
    unresolved: cases.filter((c) => c.resolvedAt === null).length,
    medianFirstResponseMs: median(cases.flatMap((c) => (c.firstResponseAt === null ? [] : [c.firstResponseAt - c.openedAt]))),
    medianResolutionMs: median(cases.flatMap((c) => (c.resolvedAt === null ? [] : [c.resolvedAt - c.openedAt]))),
    operators: operatorSla(cases, mine),
  };
}
