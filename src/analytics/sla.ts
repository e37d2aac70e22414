import type { Touchpoint } from "../model/domain.ts";
import { median } from "./common.ts";

/**
 * First response and resolution per handed-off chat and per operator, from
 * touchpoints alone (the same facts the staff group's SLA reads): a handoff opens a
 * case ("→ queue: reason"), the first staff reply after it is the first response,
 * handing the chat back to the bot resolves it. The case's first response counts for
 * who gave it, its resolution for who handed back; an operator's chats are the cases
 * they took, answered or resolved. Kept in one module so the staff branch's
 * src/staff/sla.ts can take its place.
 */
export interface SlaCase {
  conversationKey: string;
  contactId: string;
  openedAt: number;
  queue: string;
  reason: string;
  firstResponseAt: number | null;
  firstResponder: string | null;
  resolvedAt: number | null;
  resolvedBy: string | null;
  operators: string[];
}

export interface OperatorSla {
  operator: string;
  chats: number;
  replies: number;
  medianFirstResponseMs: number | null;
  medianResolutionMs: number | null;
  resolved: number;
}

const by = (t: Touchpoint) => (typeof t.data?.by === "string" ? t.data.by : null);

export function slaCases(events: Touchpoint[]): SlaCase[] {
  const open = new Map<string, SlaCase>();
  const cases: SlaCase[] = [];
  for (const t of events) {
    const ck = t.conversationKey;
    if (!ck) continue;
    const who = by(t);
    if (t.kind === "handoff" && who === null) {
      if (open.has(ck)) continue; // already with a person: one case
      const c: SlaCase = {
        conversationKey: ck,
        contactId: t.contactId,
        openedAt: t.at,
        queue: typeof t.data?.queue === "string" ? t.data.queue : "",
        reason: typeof t.data?.reason === "string" ? t.data.reason : "",
        firstResponseAt: null,
        firstResponder: null,
        resolvedAt: null,
        resolvedBy: null,
        operators: [],
      };
      open.set(ck, c);
      cases.push(c);
      continue;
    }
    const c = open.get(ck);
    if (!c || who === null) continue;
    if (!c.operators.includes(who)) c.operators.push(who);
    if (t.kind === "message_out" && t.data?.staff === true && c.firstResponseAt === null) {
      c.firstResponseAt = t.at;
      c.firstResponder = who;
    }
    if (t.kind === "handoff" && t.data?.back === true) {
      c.resolvedAt = t.at;
      c.resolvedBy = who;
      open.delete(ck);
    }
  }
  return cases;
}

export function operatorSla(cases: SlaCase[], events: Touchpoint[]): OperatorSla[] {
  const ops = new Map<string, { chats: Set<string>; replies: number; first: number[]; resolution: number[] }>();
  const op = (name: string) => {
    let o = ops.get(name);
    if (!o) ops.set(name, (o = { chats: new Set(), replies: 0, first: [], resolution: [] }));
    return o;
  };
  cases.forEach((c, i) => {
    for (const name of c.operators) op(name).chats.add(String(i));
    if (c.firstResponder && c.firstResponseAt !== null) op(c.firstResponder).first.push(c.firstResponseAt - c.openedAt);
    if (c.resolvedBy && c.resolvedAt !== null) op(c.resolvedBy).resolution.push(c.resolvedAt - c.openedAt);
  });
  for (const t of events) {
    const who = by(t);
    if (who && t.kind === "message_out" && t.data?.staff === true) op(who).replies++;
  }
  return [...ops]
    .map(([operator, o]) => ({
      operator,
      chats: o.chats.size,
      replies: o.replies,
      medianFirstResponseMs: median(o.first),
      medianResolutionMs: median(o.resolution),
      resolved: o.resolution.length,
    }))
    .sort((a, b) => b.chats - a.chats || (a.operator < b.operator ? -1 : 1));
}
