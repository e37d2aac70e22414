import type { DeskEvent } from "../../events/bus.ts";
import type { ConversationReads } from "../../store/port.ts";

/** what a page reacts to; the engine's bookkeeping (stages, cart notes) is not sent */
export const LIVE_KINDS = new Set(["message_in", "button", "message_out", "handoff", "feedback", "note", "order", "order_status", "offline", "sent", "alert"]);


/** one Server-Sent Event for the staff pages */
export function frame(e: DeskEvent, attention: boolean): string {
  const data = {
    attention,
    kind: e.kind,
    key: e.conversationKey ?? null,
    contactId: e.contactId ?? null,
    at: e.at,
    summary: e.kind === "message_in" || e.kind === "handoff" || e.kind === "feedback" || e.kind === "alert" ? (e.summary ?? "") : "",
    staff: e.touchpoint?.data?.staff === true,
    reason: typeof e.data?.reason === "string" ? e.data.reason : undefined,
  };
  // the id line may not hold a newline; cursors are opaque but never do
  return `id: ${e.cursor.replace(/[\r\n]/g, "")}\nevent: desk\ndata: ${JSON.stringify(data)}\n\n`;
}

/**
 * Does this event want a person? A customer's message in a chat handed to staff, a
 * new handoff, an alert. Asked once per event however many tabs are open.
 */
export function attentionOf(store: ConversationReads): (e: DeskEvent) => Promise<boolean> {
  const verdicts = new Map<string, Promise<boolean>>();
  return (e) => {
    let v = verdicts.get(e.cursor);
    if (!v) {
      v = (async () => {
        if (e.kind === "alert") return true;
        if (e.kind === "handoff") return e.touchpoint?.data?.queue !== undefined;
        if ((e.kind !== "message_in" && e.kind !== "button") || !e.conversationKey) return false;
        const conv = await store.getConversation(e.conversationKey).catch(() => null);
        return conv?.handoff != null;
      })();
      verdicts.set(e.cursor, v);
      setTimeout(() => verdicts.delete(e.cursor), 10_000).unref();
    }
    return v;
  };
}
