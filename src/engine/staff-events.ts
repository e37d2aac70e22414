import type { InboundSystem } from "../model/inbound.ts";
import { startHandoff } from "./run.ts";
import type { Turn } from "./turn.ts";

/**
 * What the staff pages put on a conversation's queue besides replies, takes and
 * hand-backs: internal notes, assigning to a colleague, resolving, and what happened
 * offline. They run as steps like any other event, so they are ordered with the
 * customer's messages and never race a worker's commit. Nothing here is sent to the
 * customer.
 */
export type StaffEvent = Extract<
  InboundSystem["event"],
  { kind: "staff_note" } | { kind: "assign" } | { kind: "resolve" } | { kind: "offline" }
>;

export function onStaffEvent(turn: Turn, ev: StaffEvent): void {
  const { conv } = turn;
  switch (ev.kind) {
    case "staff_note":
      turn.touch("note", ev.text.slice(0, 500), { data: { by: ev.by, staff: true, internal: true } });
      return;
    case "assign":
      if (!conv.handoff) startHandoff(turn, "customers", `assigned by ${ev.by}`);
      conv.handoff!.assignee = ev.to;
      turn.touch("handoff", `assigned to ${ev.to} by ${ev.by}`, { data: { by: ev.by, assignee: ev.to, staff: true } });
      return;
    case "resolve":
      if (!conv.handoff) return;
      // the question is answered: the bot listens again from where the chat stands
      conv.handoff = null;
      turn.touch("handoff", `resolved by ${ev.by}`, { data: { by: ev.by, resolved: true, back: true, staff: true } });
      return;
    case "offline": {
      const tp = turn.touch("offline", ev.summary.slice(0, 500), {
        channel: "offline",
        ...(ev.moment ? { moment: ev.moment } : {}),
        data: { via: ev.via, by: ev.by, staff: true },
      });
      if (ev.at !== undefined) tp.at = ev.at;
      return;
    }
  }
}
