import { STAGES, type Audience, type StageKey } from "../model/domain.ts";
import type { AnalyticsPort, StageColumns } from "../store/port.ts";

/**
 * The owner's funnel for a period: per stage, how many contacts first reached it,
 * the conversion from the stage before, and the median time between the two for
 * contacts who reached both. Built from the per-stage "first reached at" index,
 * never by scanning touchpoints.
 */
export interface FunnelRow {
  stage: StageKey;
  reached: number;
  /** reached / reached of the previous stage; null for the first stage or when it had nobody */
  conversion: number | null;
  /** median ms from the previous stage to this one; null when nobody has both */
  medianMsFromPrevious: number | null;
}

export interface FunnelReport {
  from: number;
  to: number;
  audience?: Audience;
  rows: FunnelRow[];
  /** churned is an exit, not a step: reported apart */
  churned: number;
  sources: { source: string; contacts: number; ordered: number }[];
  dropOff: { flow: string; step: string; count: number }[];
}


/**
 * Counts, conversions and median gaps from the columns: typed arrays and one pass
 * per stage, so a month of a busy shop (100k contacts, ~350k entries) takes a few
 * milliseconds.
 */
export function computeFunnel(columns: StageColumns): Pick<FunnelReport, "rows" | "churned" | "sources"> {
  const n = columns.contacts;
  const reachedOf = (at: Float64Array) => {
    let reached = 0;
    for (let c = 0; c < n; c++) if (!Number.isNaN(at[c]!)) reached++;
    return reached;
  };
  const steps = STAGES.filter((s) => s !== "churned");
  const rows: FunnelRow[] = steps.map((stage, i) => {
    const here = columns.at[stage];
    const prevStage = i > 0 ? steps[i - 1] : undefined;
    const prev = prevStage ? columns.at[prevStage] : undefined;
    const reached = reachedOf(here);
    let median: number | null = null;
    let conversion: number | null = null;
    if (prev) {
      const gaps = new Float64Array(n);
      let g = 0;
      for (let c = 0; c < n; c++) {
        const d = here[c]! - prev[c]!;
        if (d >= 0) gaps[g++] = d; // NaN (either missing) fails the test
      }
      median = medianOf(gaps.subarray(0, g));
      const before = reachedOf(prev);
      conversion = before > 0 ? reached / before : null;
    }
    return { stage, reached, conversion, medianMsFromPrevious: median };
  });
  // a contact with any stage in the period counts under its source
  const ordered = columns.at.action;
  const sources = new Map<string, { contacts: number; ordered: number }>();
  for (let c = 0; c < n; c++) {
    if (!STAGES.some((stage) => !Number.isNaN(columns.at[stage][c]!))) continue;
    const source = columns.sources[c] ?? "direct";
    let s = sources.get(source);
    if (!s) sources.set(source, (s = { contacts: 0, ordered: 0 }));
    s.contacts++;
    if (!Number.isNaN(ordered[c]!)) s.ordered++;
  }
  return {
    rows,
    churned: reachedOf(columns.at.churned),
    sources: [...sources]
      .map(([source, v]) => ({ source, ...v }))
      .sort((a, b) => b.contacts - a.contacts || (a.source < b.source ? -1 : a.source > b.source ? 1 : 0)),
  };
}

function medianOf(xs: Float64Array): number | null {
  if (xs.length === 0) return null;
  const s = xs.sort();
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export async function funnelReport(store: AnalyticsPort, from: number, to: number, audience?: Audience, now = Date.now()): Promise<FunnelReport> {
  const columns = await store.stageColumns(from, to, audience);
  return { from, to, ...(audience ? { audience } : {}), ...computeFunnel(columns), dropOff: await funnelDropOff(store, to, audience, now) };
}

/** the funnel's "where they stopped": conversations idle a day at their step, the ten most */
export async function funnelDropOff(store: AnalyticsPort, to: number, audience: Audience | undefined, now: number): Promise<FunnelReport["dropOff"]> {
  const dropOff = await store.stepCounts({ ...(audience ? { audience } : {}), idleSince: Math.min(to, now) - 86_400_000 });
  dropOff.sort((a, b) => b.count - a.count);
  return dropOff.slice(0, 10);
}

function human(ms: number | null): string {
  if (ms === null) return "—";
  const min = ms / 60_000;
  if (min < 60) return `${Math.round(min)} мин`;
  const h = min / 60;
  if (h < 48) return `${Math.round(h * 10) / 10} ч`;
  return `${Math.round((h / 24) * 10) / 10} дн`;
}

/** A plain-text table for the terminal. */
export function formatFunnel(r: FunnelReport, titles: Record<StageKey, { ru: string }>): string {
  const lines = [
    `Воронка ${new Date(r.from).toISOString().slice(0, 10)} — ${new Date(r.to).toISOString().slice(0, 10)}${r.audience ? ` (${r.audience})` : ""}`,
    "",
    `${"этап".padEnd(18)} ${"контактов".padStart(9)} ${"конверсия".padStart(9)}  медиана от предыдущего`,
  ];
  for (const row of r.rows) {
    const conv = row.conversion === null ? "—" : `${Math.round(row.conversion * 1000) / 10}%`;
    lines.push(`${titles[row.stage].ru.padEnd(18)} ${String(row.reached).padStart(9)} ${conv.padStart(9)}  ${human(row.medianMsFromPrevious)}`);
  }
  lines.push(`${titles.churned.ru.padEnd(18)} ${String(r.churned).padStart(9)}`);
  if (r.sources.length > 0) {
    lines.push("", "Источники (контактов / заказали):");
    for (const s of r.sources) lines.push(`  ${s.source.padEnd(24)} ${String(s.contacts).padStart(6)} / ${s.ordered}`);
  }
  if (r.dropOff.length > 0) {
    lines.push("", "Где остановились (шаг, разговоров без движения сутки+):");
    for (const d of r.dropOff) lines.push(`  ${`${d.flow}.${d.step}`.padEnd(32)} ${d.count}`);
  }
  return lines.join("\n");
}
