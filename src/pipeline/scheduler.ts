import type { InboundTimer } from "../model/inbound.ts";
import type { DueTimer, EnqueuePort, TimerPort } from "../store/port.ts";

/**
 * Due timers become events on their conversation's queue, so a follow-up is handled
 * in order with the customer's own messages. The timer token is the dedupe key:
 * with several instances polling, each timer still runs once.
 */
export function timerEvent(t: DueTimer): InboundTimer {
  return {
    type: "timer",
    channel: t.channel,
    chatId: t.chatId,
    userId: t.chatId,
    dedupeKey: `timer:${t.conversationKey}:${t.name}:${t.token}`,
    at: t.at,
    name: t.name,
    token: t.token,
  };
}

export async function fireDueTimers(store: TimerPort & EnqueuePort, now: number, max: number): Promise<number> {
  const due = await store.dueTimers(now, max);
  if (due.length === 0) return 0;
  await store.enqueue(due.map(timerEvent));
  for (const t of due) await store.markTimerFired(t.conversationKey, t.name, t.token);
  return due.length;
}
