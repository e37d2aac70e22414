import type { Audience, Contact, Conversation, Touchpoint } from "../model/domain.ts";
import type { Channel } from "../model/channel.ts";
import type { CustomerReads, KeyValuePort } from "../store/port.ts";
import { currentOffer } from "./routing.ts";

/**
 * The inbox's rows: every chat handed to a person, what it needs first and how long
 * the customer has waited. Order: a bad score first, then "asked for a person", then
 * the bot failing to understand, then out of hours and the rest; within each, the
 * longest wait first.
 */
export const PRIORITIES = ["low_score", "person", "stalled", "out_of_hours", "other"] as const;
export type Priority = (typeof PRIORITIES)[number];

export interface InboxRow {
  key: string;
  contactId: string;
  name: string;
  channel: Channel;
  audience: Audience;
  priority: Priority;
  /** a bad moment in the recent journey (a low score, a bad offline touchpoint) */
  badMoment: boolean;
  /** who has the chat now (null: nobody took it) */
  assignee: string | null;
  /** who routing offered it to, while nobody took it */
  offeredTo: string | null;
  handoffSince: number;
  /** the first customer message nobody answered yet (null: staff answered last) */
  waitingSince: number | null;
  /** the customer's latest message, for "unread" in the browser */
  lastInAt: number | null;
  last: { text: string; from: "customer" | "staff" | "bot" | "note" } | null;
  /** the bad score behind a low_score chat: scale and value */
  score: { scale: string; value: number } | null;
}

const RECENT = 60;

export function displayName(contact: Contact | null, conv: Pick<Conversation, "channel" | "chatId">): string {
  if (contact?.name) return contact.name;
  if (contact?.phone) return `+${contact.phone}`;
  return `${conv.channel} ${conv.chatId.slice(-6)}`;
}

function isStaffOut(tp: Touchpoint): boolean {
  return tp.kind === "message_out" && tp.data?.staff === true;
}

function fromOf(tp: Touchpoint): "customer" | "staff" | "bot" | "note" {
  if (tp.kind === "message_in" || tp.kind === "button") return "customer";
  if (tp.kind === "note") return "note";
  return isStaffOut(tp) ? "staff" : "bot";
}

/** was the shop closed at this moment (staffgroup's working hours, src/staff/hours.ts isOpen) */
export type OutOfHours = (at: number) => boolean;

export function priorityOf(conv: Conversation, recent: Touchpoint[], outOfHours?: OutOfHours): Priority {
  const reason = conv.handoff?.reason ?? "";
  if (/^low /.test(reason)) return "low_score";
  const sinceHandoff = recent.filter((tp) => tp.at >= (conv.handoff?.since ?? 0) - 60_000);
  if (/person/i.test(reason) || sinceHandoff.some((tp) => tp.data?.buttonId === "__person")) return "person";
  if (recent.some((tp) => tp.data?.stalled !== undefined)) return "stalled";
  if (sinceHandoff.some((tp) => tp.kind === "handoff" && tp.data?.outOfHours === true)) return "out_of_hours";
  if (outOfHours && conv.handoff && outOfHours(conv.handoff.since)) return "out_of_hours";
  return "other";
}

export function rowOf(conv: Conversation, contact: Contact | null, touchpoints: Touchpoint[], outOfHours?: OutOfHours): InboxRow {
  const recent = touchpoints.filter((tp) => tp.conversationKey === conv.key || tp.channel === "offline").slice(-RECENT);
  const messages = recent.filter((tp) => tp.kind === "message_in" || tp.kind === "button" || tp.kind === "message_out");
  const lastStaff = [...recent].reverse().find(isStaffOut);
  const since = conv.handoff?.since ?? conv.updatedAt;
  const unanswered = recent.filter((tp) => (tp.kind === "message_in" || tp.kind === "button") && tp.at >= (lastStaff?.at ?? since));
  const lastIn = [...recent].reverse().find((tp) => tp.kind === "message_in" || tp.kind === "button");
  const lastMsg = messages.at(-1);
  const badScore = [...recent].reverse().find((tp) => tp.kind === "feedback" && tp.moment === "bad" && typeof tp.data?.score === "number");
  return {
    key: conv.key,
    contactId: conv.contactId,
    name: displayName(contact, conv),
    channel: conv.channel,
    audience: contact?.audience ?? "customer",
    priority: priorityOf(conv, recent, outOfHours),
    badMoment: recent.some((tp) => tp.moment === "bad"),
    assignee: conv.handoff?.assignee ?? null,
    offeredTo: null,
    handoffSince: since,
    waitingSince: lastStaff ? (unanswered[0]?.at ?? null) : Math.min(since, unanswered[0]?.at ?? since),
    lastInAt: lastIn?.at ?? null,
    // the customer's own last words matter most; what was said to them otherwise
    score: badScore ? { scale: String(badScore.data!.scale).toUpperCase(), value: badScore.data!.score as number } : null,
    last: lastIn ? { text: lastIn.summary, from: "customer" } : lastMsg ? { text: lastMsg.summary, from: fromOf(lastMsg) } : null,
  };
}

export function sortRows(rows: InboxRow[]): InboxRow[] {
  const rank = (r: InboxRow) => PRIORITIES.indexOf(r.priority);
  return rows.sort((a, b) => rank(a) - rank(b) || (a.waitingSince ?? Infinity) - (b.waitingSince ?? Infinity) || a.handoffSince - b.handoffSince);
}

export async function inboxRows(store: CustomerReads & KeyValuePort, limit = 200, outOfHours?: OutOfHours): Promise<InboxRow[]> {
  const conversations = await store.listConversations({ inHandoff: true, limit });
  const rows = await Promise.all(
    conversations.map(async (conv) => {
      const [contact, touchpoints] = await Promise.all([store.getContact(conv.contactId), store.listTouchpoints(conv.contactId, 200)]);
      const row = rowOf(conv, contact, touchpoints, outOfHours);
      const offer = row.assignee ? null : await currentOffer(store, conv.key);
      if (offer && offer.since === conv.handoff?.since) row.offeredTo = offer.to;
      return row;
    }),
  );
  return sortRows(rows);
}
