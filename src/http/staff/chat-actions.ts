import type { InboundSystem } from "../../model/inbound.ts";
import { listStaffAccounts } from "../../staff/accounts.ts";
import { handbackSteps } from "../../staff/history.ts";
import { fillReply } from "../../staff/quick-replies.ts";
import { z } from "zod";
import type { ChatDeps } from "./chat-data.ts";

/** what each of a chat page's forms posts, and the system event it becomes */
const Text = z.string().trim().min(1).max(4000);
export const Forms = {
  reply: z.object({ text: Text }),
  note: z.object({ text: Text }),
  take: z.object({}),
  resolve: z.object({}),
  handback: z.object({ step: z.string().max(120).optional() }),
  assign: z.object({ to: z.string().min(1).max(40) }),
  offline: z.object({
    summary: z.string().trim().min(1).max(500),
    via: z.enum(["store_visit", "call", "courier", "email", "other"]).default("other"),
    moment: z.enum(["", "good", "bad"]).default(""),
  }),
  status: z.object({ order: z.string().min(1).max(80), status: z.enum(["placed", "confirmed", "shipped", "delivered", "cancelled"]) }),
} as const;
export type Action = keyof typeof Forms;

export async function eventOf(deps: ChatDeps, key: string, action: Action, f: Record<string, string>, me: string): Promise<InboundSystem["event"] | "not_found"> {
  switch (action) {
    case "reply": {
      const conv = await deps.store.getConversation(key);
      if (!conv) return "not_found";
      const [contact, orders] = await Promise.all([deps.store.getContact(conv.contactId), deps.store.listOrders({ contactId: conv.contactId, limit: 1 })]);
      return { kind: "staff_reply", by: me, text: fillReply(f.text!, { contact, orders, me }) };
    }
    case "note":
      return { kind: "staff_note", by: me, text: f.text! };
    case "take":
      return { kind: "handoff_take", by: me };
    case "resolve":
      return { kind: "resolve", by: me };
    case "handback": {
      const conv = await deps.store.getConversation(key);
      if (!conv) return "not_found";
      // only a step the page offered (the default is the shop's hand-back step)
      const known = f.step ? handbackSteps(deps.bundle(), conv.flow, "ru").some((s) => s.ref === f.step) : false;
      return { kind: "handback", by: me, ...(known ? { step: f.step } : {}) };
    }
    case "assign": {
      const to = (await listStaffAccounts(deps.store)).find((a) => a.login === f.to && a.role !== "viewer");
      if (!to) return "not_found";
      return { kind: "assign", by: me, to: to.login };
    }
    case "offline":
      return { kind: "offline", by: me, summary: f.summary!, via: f.via ?? "other", ...(f.moment === "good" || f.moment === "bad" ? { moment: f.moment } : {}) };
    case "status": {
      const order = await deps.store.getOrder(f.order!);
      if (!order || order.conversationKey !== key) return "not_found";
      return { kind: "order_status", orderId: order.id, status: f.status as "placed" };
    }
  }
}
