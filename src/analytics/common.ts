import type { Channel } from "../model/channel.ts";
import type { Audience, Contact, Order } from "../model/domain.ts";
import type { ReportReads } from "../store/report-reads.ts";
import type { AnalyticsPort, StoreKind } from "../store/port.ts";

/** What every report is read over: a period, and who counts. */
export const DAY = 86_400_000;

export interface Period {
  from: number;
  to: number;
}

/** "all" counts every audience; the default everywhere is customers only */
export type AudienceFilter = Audience | "all";

export interface Who {
  audience: AudienceFilter;
  channel?: Channel;
  /** a source group as sourceGroup names it (e.g. gym_flyer, referrals, direct) */
  source?: string;
}

export const REFERRALS = "referrals";
export const DIRECT = "direct";

/** first-touch source as the owner reads it: every friend's code counts under "referrals" */
export function sourceGroup(source: string | undefined): string {
  if (source === undefined || source === "") return DIRECT;
  if (source.startsWith("ref_")) return REFERRALS;
  return source;
}

/** the channel a contact first wrote from */
export function contactChannel(c: Contact): Channel {
  return c.identities[0]?.channel ?? "web";
}

/** the chat of a contact on its first channel (private chats: the chat is the user) */
export function contactChatKey(c: Contact): string | undefined {
  const id = c.identities[0];
  return id ? `${id.channel}:${id.userId}` : undefined;
}

export function matches(c: Contact, who: Who): boolean {
  if (who.audience !== "all" && c.audience !== who.audience) return false;
  if (who.channel !== undefined && contactChannel(c) !== who.channel) return false;
  if (who.source !== undefined && sourceGroup(c.source) !== who.source) return false;
  return true;
}

export const inPeriod = (t: number | undefined, p: Period): t is number => t !== undefined && t >= p.from && t < p.to;

/** orders that count as bought (a cancelled one does not) */
export const counts = (o: Order): boolean => o.status !== "cancelled";

export function reads(store: AnalyticsPort & StoreKind): ReportReads {
  if (!store.reportReads) throw new Error(`the ${store.kind} store has no report reads`);
  return store.reportReads();
}

export function median(xs: number[]): number | null {
  if (xs.length === 0) return null;
  const s = Float64Array.from(xs).sort();
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export const ratio = (a: number, b: number): number | null => (b > 0 ? a / b : null);

/** UTC month "2026-11" of a time */
export const monthOf = (t: number): string => new Date(t).toISOString().slice(0, 7);
/** months between two "YYYY-MM" */
export function monthsBetween(a: string, b: string): number {
  const [ya, ma] = a.split("-").map(Number) as [number, number];
  const [yb, mb] = b.split("-").map(Number) as [number, number];
  return (yb - ya) * 12 + (mb - ma);
}
