import { z } from "zod";
import type { Touchpoint } from "../model/domain.ts";
import type { KeyValuePort } from "../store/kv.ts";
import { workingMsBetween, type WorkingHours } from "./hours.ts";

/**
 * SLA figures from the touchpoints the engine already logs: a handoff starts an
 * episode (kind "handoff" with a queue), the first message a person sends answers it
 * (kind "message_out" with data.staff), a hand-back ends it (kind "handoff" with
 * data.back; data.resolved when staff closed the case). Durations count working time
 * only (shop.yaml `hours`), so a chat handed over on Sunday night is not "late" at 9:01.
 *
 * Breach marks (no first answer within `sla.firstResponseMinutes`) are kept in the
 * key-value port, namespace "sla.breach", one per episode: see markSlaBreach /
 * slaBreachOf / listSlaBreaches.
 */

export interface HandoffEpisode {
  conversationKey: string;
  contactId: string;
  channel: Touchpoint["channel"];
  queue: string;
  reason: string;
  startedAt: number;
  /** the first message a person sent in this episode */
  firstReplyAt?: number;
  firstReplyBy?: string;
  /** handed back or resolved */
  endedAt?: number;
  endedBy?: string;
  resolved: boolean;
  /** who answered first, else who took it, else who ended it */
  operator?: string;
  /** working ms from handoff to the first answer (still waiting: to `asOf`) */
  firstResponseMs: number;
  /** working ms from handoff to its end (still open: to `asOf`) */
  resolutionMs: number;
  answered: boolean;
}

/** what handoff, staff-reply and hand-back touchpoints carry in `data` (desk.ts reads more of it) */
export const HandoffData = z
  .object({
    queue: z.string().optional(),
    reason: z.string().optional(),
    by: z.string().optional(),
    back: z.boolean().optional(),
    resolved: z.boolean().optional(),
    staff: z.boolean().optional(),
  })
  .passthrough();

/** The handoff episodes of one contact's touchpoints (any order), oldest first. */
export function handoffEpisodes(touchpoints: Touchpoint[], hours: WorkingHours | undefined, asOf: number): HandoffEpisode[] {
  const sorted = [...touchpoints].sort((a, b) => a.at - b.at);
  const open = new Map<string, HandoffEpisode & { takenBy?: string }>();
  const done: HandoffEpisode[] = [];
  const finish = (ep: HandoffEpisode & { takenBy?: string }, end: number | undefined) => {
    const { takenBy, ...rest } = ep;
    const operator = rest.firstReplyBy ?? takenBy ?? rest.endedBy;
    done.push({
      ...rest,
      ...(operator ? { operator } : {}),
      firstResponseMs: workingMsBetween(hours, rest.startedAt, rest.firstReplyAt ?? end ?? asOf),
      resolutionMs: workingMsBetween(hours, rest.startedAt, end ?? asOf),
    });
  };
  for (const tp of sorted) {
    const key = tp.conversationKey;
    if (!key) continue;
    const data = HandoffData.safeParse(tp.data ?? {});
    const d = data.success ? data.data : {};
    const ep = open.get(key);
    if (tp.kind === "handoff" && d.back) {
      if (!ep) continue;
      ep.endedAt = tp.at;
      if (d.by) ep.endedBy = d.by;
      ep.resolved = d.resolved === true;
      finish(ep, tp.at);
      open.delete(key);
    } else if (tp.kind === "handoff" && d.queue !== undefined) {
      if (ep) continue; // a second handoff notice while one is open (staff took a chat already waiting)
      open.set(key, {
        conversationKey: key,
        contactId: tp.contactId,
        channel: tp.channel,
        queue: d.queue,
        reason: d.reason ?? "",
        startedAt: tp.at,
        resolved: false,
        answered: false,
        firstResponseMs: 0,
        resolutionMs: 0,
      });
    } else if (tp.kind === "handoff" && d.by && ep && !ep.takenBy) {
      ep.takenBy = d.by;
    } else if (tp.kind === "message_out" && d.staff && ep && ep.firstReplyAt === undefined) {
      ep.firstReplyAt = tp.at;
      ep.answered = true;
      if (d.by) ep.firstReplyBy = d.by;
    }
  }
  for (const ep of open.values()) finish(ep, undefined);
  return done.sort((a, b) => a.startedAt - b.startedAt);
}

export interface OperatorSla {
  operator: string;
  chats: number;
  answered: number;
  resolved: number;
  /** working ms; null when nothing was answered / ended */
  medianFirstResponseMs: number | null;
  medianResolutionMs: number | null;
  /** answered later than the target, or not at all past it */
  breaches: number;
}

/** Per operator, over episodes (those nobody touched are listed under ""). */
export function operatorSla(episodes: HandoffEpisode[], firstResponseMinutes: number): OperatorSla[] {
  const target = firstResponseMinutes * 60_000;
  const by = new Map<string, HandoffEpisode[]>();
  for (const ep of episodes) {
    const k = ep.operator ?? "";
    by.set(k, [...(by.get(k) ?? []), ep]);
  }
  return [...by.entries()]
    .map(([operator, eps]) => ({
      operator,
      chats: eps.length,
      answered: eps.filter((e) => e.answered).length,
      resolved: eps.filter((e) => e.resolved).length,
      medianFirstResponseMs: median(eps.filter((e) => e.answered).map((e) => e.firstResponseMs)),
      medianResolutionMs: median(eps.filter((e) => e.endedAt !== undefined).map((e) => e.resolutionMs)),
      breaches: eps.filter((e) => e.firstResponseMs > target || (!e.answered && e.firstResponseMs >= target)).length,
    }))
    .sort((a, b) => a.operator.localeCompare(b.operator));
}

function median(xs: number[]): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : Math.round((s[mid - 1]! + s[mid]!) / 2);
}

/** Reads what chatSla needs; Store satisfies it. */
export interface TouchpointSource {
  listTouchpoints(contactId: string, limit?: number): Promise<Touchpoint[]>;
}

/** The SLA of one contact's handoffs (all their chats), for the inbox's chat view. */
export async function chatSla(store: TouchpointSource, hours: WorkingHours | undefined, contactId: string, asOf: number): Promise<HandoffEpisode[]> {
  return handoffEpisodes(await store.listTouchpoints(contactId, 5000), hours, asOf);
}

// --- breach marks -----------------------------------------------------------------

export const SLA_BREACH_NS = "sla.breach";
const BREACH_TTL_MS = 90 * 24 * 3_600_000;

export const SlaBreach = z.object({
  conversationKey: z.string(),
  contactId: z.string(),
  /** the handoff this breach belongs to (Conversation.handoff.since) */
  since: z.number(),
  /** when it was noticed */
  at: z.number(),
  /** the target that was missed, working minutes */
  minutes: z.number(),
  queue: z.string(),
});
export type SlaBreach = z.infer<typeof SlaBreach>;

const breachKey = (conversationKey: string, since: number) => `${conversationKey}@${since}`;

/** Records a breach once (every instance may try): answers whether this call recorded it. */
export function markSlaBreach(kv: KeyValuePort, breach: SlaBreach): Promise<boolean> {
  return kv.kvSet(SLA_BREACH_NS, breachKey(breach.conversationKey, breach.since), JSON.stringify(breach), { ifAbsent: true, ttlMs: BREACH_TTL_MS });
}

/** The breach mark of a chat's current handoff (pass conversation.handoff.since), or null. */
export async function slaBreachOf(kv: KeyValuePort, conversationKey: string, since: number): Promise<SlaBreach | null> {
  const raw = await kv.kvGet(SLA_BREACH_NS, breachKey(conversationKey, since));
  return raw === null ? null : parseBreach(raw);
}

/** Every breach mark kept (90 days), newest first. */
export async function listSlaBreaches(kv: KeyValuePort): Promise<SlaBreach[]> {
  const entries = await kv.kvList(SLA_BREACH_NS);
  return entries
    .map((e) => parseBreach(e.value))
    .filter((b): b is SlaBreach => b !== null)
    .sort((a, b) => b.at - a.at);
}

function parseBreach(raw: string): SlaBreach | null {
  try {
    const parsed = SlaBreach.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}
