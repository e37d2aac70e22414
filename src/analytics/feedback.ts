import type { Touchpoint } from "../model/domain.ts";
import type { AnalyticsPort, StoreKind } from "../store/port.ts";
import { DAY, matches, reads, type Period, type Who } from "./common.ts";

/**
 * The voice of the customer for a period: CSAT (1–5) average and distribution, NPS
 * (% promoters 9–10 minus % detractors 0–6) overall and per week, the open answers
 * (searchable), and every low score with who handled it and how: taken by whom, the
 * first staff reply, handed back to the bot — or nobody yet.
 */
export interface LowScore {
  at: number;
  contactId: string;
  name: string | null;
  conversationKey: string | null;
  scale: "csat" | "nps";
  score: number;
  /** operators who took the chat or answered in it after the score */
  handledBy: string[];
  firstReplyAt: number | null;
  resolvedAt: number | null;
  outcome: "resolved" | "in_progress" | "not_taken";
}

export interface FeedbackReport extends Period {
  csat: { count: number; average: number | null; distribution: { score: number; count: number }[] };
  nps: { count: number; promoters: number; passives: number; detractors: number; score: number | null; weeks: { from: number; count: number; score: number | null }[] };
  answers: { at: number; contactId: string; name: string | null; text: string }[];
  lowScores: LowScore[];
}

const norm = (s: string) => s.toLocaleLowerCase("ru").replaceAll("ё", "е");
const npsOf = (scores: number[]) =>
  scores.length === 0 ? null : Math.round(((scores.filter((s) => s >= 9).length - scores.filter((s) => s <= 6).length) / scores.length) * 1000) / 10;

/** ISO week start (Monday 00:00 UTC) */
export const weekOf = (t: number): number => {
  const d = Math.floor(t / DAY);
  return (d - ((d + 3) % 7)) * DAY; // 1970-01-01 was a Thursday
};

export async function feedbackReport(store: AnalyticsPort & StoreKind, p: Period, who: Who, search?: string): Promise<FeedbackReport> {
  const r = reads(store);
  const [contacts, events] = await Promise.all([r.contacts(), r.events(p.from, p.to)]);
  const byId = new Map(contacts.filter((c) => matches(c, who)).map((c) => [c.id, c]));
  const mine = events.filter((e) => byId.has(e.contactId));
  const scored = (scale: string) =>
    mine.filter((e) => e.kind === "feedback" && e.data?.scale === scale && typeof e.data.score === "number") as (Touchpoint & { data: { score: number } })[];
  const csat = scored("csat");
  const nps = scored("nps");
  const csatScores = csat.map((e) => e.data.score);
  const npsScores = nps.map((e) => e.data.score);
  const weeks = new Map<number, number[]>();
  for (let w = weekOf(p.from); w < p.to; w += 7 * DAY) weeks.set(w, []);
  for (const e of nps) weeks.get(weekOf(e.at))?.push(e.data.score);
  const q = search ? norm(search.trim()) : "";
  const name = (id: string) => byId.get(id)?.name ?? null;
  const answers = mine
    .filter((e) => e.kind === "feedback" && e.data?.scale === "open" && typeof e.data.text === "string")
    .map((e) => ({ at: e.at, contactId: e.contactId, name: name(e.contactId), text: String(e.data!.text) }))
    .filter((a) => q === "" || norm(a.text).includes(q) || norm(a.name ?? "").includes(q))
    .reverse();
  const byContact = new Map<string, Touchpoint[]>();
  for (const e of mine) {
    let l = byContact.get(e.contactId);
    if (!l) byContact.set(e.contactId, (l = []));
    l.push(e);
  }
  const lowScores: LowScore[] = [...csat, ...nps]
    .filter((e) => e.moment === "bad")
    .map((e) => handling(e, byContact.get(e.contactId) ?? [], name(e.contactId)))
    .sort((a, b) => b.at - a.at);
  return {
    ...p,
    csat: {
      count: csatScores.length,
      average: csatScores.length ? Math.round((csatScores.reduce((a, b) => a + b, 0) / csatScores.length) * 100) / 100 : null,
      distribution: [1, 2, 3, 4, 5].map((score) => ({ score, count: csatScores.filter((s) => s === score).length })),
    },
    nps: {
      count: npsScores.length,
      promoters: npsScores.filter((s) => s >= 9).length,
      passives: npsScores.filter((s) => s === 7 || s === 8).length,
      detractors: npsScores.filter((s) => s <= 6).length,
      score: npsOf(npsScores),
      weeks: [...weeks].map(([from, s]) => ({ from, count: s.length, score: npsOf(s) })),
    },
    answers,
    lowScores,
  };
}

/** what staff did in that chat after the low score (handoff touchpoints and staff replies); `events` are the contact's own */
function handling(e: Touchpoint & { data: { score: number } }, events: Touchpoint[], name: string | null): LowScore {
  const after = events.filter((x) => x.at >= e.at && x.contactId === e.contactId && (e.conversationKey === undefined || x.conversationKey === e.conversationKey));
  const by = new Set<string>();
  let firstReplyAt: number | null = null;
  let resolvedAt: number | null = null;
  for (const x of after) {
    const who = typeof x.data?.by === "string" ? x.data.by : undefined;
    if (x.kind === "handoff" && who && x.data?.back !== true) by.add(who);
    if (x.kind === "message_out" && x.data?.staff === true) {
      if (who) by.add(who);
      firstReplyAt ??= x.at;
    }
    if (x.kind === "handoff" && x.data?.back === true && resolvedAt === null) {
      if (who) by.add(who);
      resolvedAt = x.at;
    }
  }
  return {
    at: e.at,
    contactId: e.contactId,
    name,
    conversationKey: e.conversationKey ?? null,
    scale: e.data.scale === "nps" ? "nps" : "csat",
    score: e.data.score,
    handledBy: [...by],
    firstReplyAt,
    resolvedAt,
    outcome: resolvedAt !== null ? "resolved" : by.size > 0 ? "in_progress" : "not_taken",
  };
}
