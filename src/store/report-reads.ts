import type { Contact, Order, Touchpoint } from "../model/domain.ts";
import type { VisitColumns } from "./report-visits.ts";

/**
 * What the owner's reports read, beside the funnel's columns: every live contact, every
 * order, and two narrow indexes written with each step (both stores keep them in the
 * same write as the touchpoints):
 * - report events: feedback, handoffs, order statuses, staff replies and every
 *   touchpoint that carries a moment (good / bad), by time;
 * - step visits: each bot reply's conversation, flow and step, by time (drop-off).
 * Report code never walks a contact's whole history.
 */
export interface StepVisit {
  at: number;
  conversationKey: string;
  flow: string;
  step: string;
}

export interface ReportReads {
  /** live contacts (merged-away ones left out) */
  contacts(): Promise<Contact[]>;
  /** every order, oldest first */
  orders(): Promise<Order[]>;
  /** report events with `at` in [from, to), oldest first; contactId as written (follow merges via contacts) */
  events(from: number, to: number): Promise<Touchpoint[]>;
  /** bot replies in [from, to) as step visits, oldest first */
  stepVisits(from: number, to: number): Promise<StepVisit[]>;
  /** the same visits as columns, from a copy kept between reports (report-visits.ts); use them before the next await */
  visitColumns(from: number, to: number): Promise<VisitColumns>;
}

/** the JSON fragments that make a touchpoint a report event (as JSON.stringify writes them) */
export const REPORT_EVENT_MARKS = ['"kind":"feedback"', '"kind":"handoff"', '"kind":"order_status"', '"staff":true', '"moment":"'] as const;
/** a bot reply at a step */
export const STEP_VISIT_MARKS = { kind: '"kind":"message_out"', step: '"step":"', staff: '"staff":true' } as const;

export function isReportEvent(t: Touchpoint): boolean {
  return t.kind === "feedback" || t.kind === "handoff" || t.kind === "order_status" || t.moment !== undefined || t.data?.staff === true;
}
