import { STAGES, type Contact } from "../model/domain.ts";
import type { AnalyticsPort, StageColumns, StoreKind } from "../store/port.ts";
import { emptyColumns } from "../store/shared.ts";
import { computeFunnel, funnelDropOff, funnelReport, type FunnelReport, type FunnelRow } from "./funnel.ts";
import { contactChannel, matches, reads, sourceGroup, type Period, type Who } from "./common.ts";

/**
 * The funnel the owner's page and API show: today's funnel (funnel.ts) for the chosen
 * audience, narrowed to a channel or a source, split by one of them, with the period
 * just before beside it. The columns are built from the contacts' first-reached times
 * (the same facts as the per-stage index), from the reports' cached copy of the
 * contacts; a store without report reads has its per-stage index read as today.
 */
export type SplitBy = "channel" | "source" | "audience";

export interface FunnelSlice {
  key: string;
  rows: FunnelRow[];
  churned: number;
}

export interface FunnelView extends FunnelReport {
  channel?: string;
  source?: string;
  previous: { from: number; to: number; rows: FunnelRow[]; churned: number };
  split?: { by: SplitBy; slices: FunnelSlice[] };
}

export function columnsOf(contacts: Contact[], p: Period): StageColumns {
  const at = emptyColumns(contacts.length);
  const sources: (string | undefined)[] = new Array(contacts.length);
  contacts.forEach((c, i) => {
    sources[i] = c.source;
    for (const stage of STAGES) {
      const t = c.stagesReached[stage];
      if (t !== undefined && t >= p.from && t < p.to) at[stage][i] = t;
    }
  });
  return { contacts: contacts.length, sources, at };
}

const keyOf: Record<SplitBy, (c: Contact) => string> = {
  channel: contactChannel,
  source: (c) => sourceGroup(c.source),
  audience: (c) => c.audience,
};

export async function funnelView(store: AnalyticsPort & StoreKind, p: Period, who: Who, split: SplitBy | undefined, now: number): Promise<FunnelView> {
  const audience = who.audience === "all" ? undefined : who.audience;
  const narrowed = who.channel !== undefined || who.source !== undefined;
  const prev: Period = { from: p.from - (p.to - p.from), to: p.from };
  // with the reports' reads the contacts' first-reached stages come from their cached
  // copy (report-cache.ts): no scan of the stage index per view
  const cached = store.reportReads !== undefined;
  const needContacts = cached || narrowed || split !== undefined;
  const contacts = needContacts ? (await reads(store).contacts()).filter((c) => matches(c, who)) : [];
  const base: FunnelReport = cached
    ? { from: p.from, to: p.to, ...(audience ? { audience } : {}), ...computeFunnel(columnsOf(contacts, p)), dropOff: await funnelDropOff(store, p.to, audience, now) }
    : await funnelReport(store, p.from, p.to, audience, now);
  const current = narrowed && !cached ? computeFunnel(columnsOf(contacts, p)) : base;
  const previous = narrowed || cached ? computeFunnel(columnsOf(contacts, prev)) : computeFunnel(await store.stageColumns(prev.from, prev.to, audience));
  const view: FunnelView = {
    ...base,
    rows: current.rows,
    churned: current.churned,
    sources: current.sources,
    ...(who.channel ? { channel: who.channel } : {}),
    ...(who.source ? { source: who.source } : {}),
    previous: { ...prev, rows: previous.rows, churned: previous.churned },
  };
  if (split) {
    const groups = new Map<string, Contact[]>();
    for (const c of contacts) {
      const k = keyOf[split](c);
      let g = groups.get(k);
      if (!g) groups.set(k, (g = []));
      g.push(c);
    }
    view.split = {
      by: split,
      slices: [...groups]
        .map(([key, cs]) => ({ key, ...pick(computeFunnel(columnsOf(cs, p))) }))
        .filter((s) => s.rows[0]!.reached > 0 || s.rows.some((r) => r.reached > 0))
        .sort((a, b) => b.rows[0]!.reached - a.rows[0]!.reached || (a.key < b.key ? -1 : 1)),
    };
  }
  return view;
}

const pick = (f: { rows: FunnelRow[]; churned: number }) => ({ rows: f.rows, churned: f.churned });
