import { randomUUID } from "node:crypto";
import type { InboundEvent, InboundSystem } from "../model/inbound.ts";
import type { ConversationReads, EnqueueOutcome, KeyValuePort } from "../store/port.ts";
import { recordStaffAction, type AuditAction } from "./audit.ts";

/**
 * Every write a staff member makes to a chat goes on that conversation's queue as a
 * system event, so it is ordered with the customer's own messages and applied by the
 * worker in one step (never a second writer racing it), and is recorded in the audit.
 */
export interface StaffActionDeps {
  store: ConversationReads & KeyValuePort;
  ingest: (events: InboundEvent[]) => Promise<EnqueueOutcome[]>;
  now: () => number;
}

const AUDIT_OF: Record<InboundSystem["event"]["kind"], AuditAction | undefined> = {
  staff_reply: "reply",
  handoff_take: "take",
  handback: "handback",
  staff_note: "note",
  assign: "assign",
  resolve: "resolve",
  offline: "offline",
  order_status: "status",
  referral_reward: undefined,
  relay: undefined,
  payment: undefined,
  order_refund: "status",
};

function detailOf(ev: InboundSystem["event"]): string | undefined {
  switch (ev.kind) {
    case "staff_reply":
    case "staff_note":
      return ev.text.slice(0, 120);
    case "assign":
      return ev.to;
    case "handback":
      return ev.step;
    case "offline":
      return ev.summary.slice(0, 120);
    case "order_status":
      return `${ev.orderId} → ${ev.status}`;
    default:
      return undefined;
  }
}

/** queue `event` on the conversation; null when there is no such conversation */
export async function staffAction(
  deps: StaffActionDeps,
  conversationKey: string,
  event: InboundSystem["event"],
  by: string,
  requestId: string = randomUUID(),
): Promise<EnqueueOutcome | null> {
  const conv = await deps.store.getConversation(conversationKey);
  if (!conv) return null;
  const at = deps.now();
  const [outcome] = await deps.ingest([
    { type: "system", channel: conv.channel, chatId: conv.chatId, userId: conv.chatId, dedupeKey: `staff:${requestId}`, at, event },
  ]);
  // who served the customer is their manager next time (routing offers them first)
  if (outcome === "queued" && (event.kind === "handoff_take" || event.kind === "assign")) {
    await deps.store.kvSet("staff.managers", conv.contactId, event.kind === "assign" ? event.to : by);
  }
  const action = AUDIT_OF[event.kind];
  if (action && outcome === "queued") {
    const detail = detailOf(event);
    await recordStaffAction(deps.store, { at, by, action, conversationKey, ...(detail ? { detail } : {}) });
  }
  return outcome ?? null;
}
