import { STAGES, type Audience, type StageKey } from "../model/domain.ts";
import type { StageEntry, Store } from "../store/port.ts";

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

export function median(xs: number[]): number | null {
  if (xs.length === 0) return null;
  const s = Float64Array.from(xs).sort();
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export function computeFunnel(entries: StageEntry[]): Pick<FunnelReport, "rows" | "churned" | "sources"> {
  const byStage = new Map<StageKey, Map<string, number>>();
  for (const s of STAGES) byStage.set(s, new Map());
  const sourceOf = new Map<string, string>();
  for (const e of entries) {
    byStage.get(e.stage)!.set(e.contactId, e.at);
    if (!sourceOf.has(e.contactId)) sourceOf.set(e.contactId, e.source ?? "direct");
  }
  const steps = STAGES.filter((s) => s !== "churned");
  const rows: FunnelRow[] = steps.map((stage, i) => {
    const here = byStage.get(stage)!;
    const prevStage = i > 0 ? steps[i - 1]! : undefined;
    const prev = prevStage ? byStage.get(prevStage)! : undefined;
    const gaps: number[] = [];
    if (prev) for (const [id, at] of here) {
      const before = prev.get(id);
      if (before !== undefined && at >= before) gaps.push(at - before);
    }
    return {
      stage,
      reached: here.size,
      conversion: prev && prev.size > 0 ? here.size / prev.size : null,
      medianMsFromPrevious: median(gaps),
    };
  });
  const ordered = byStage.get("action")!;
  const sources = new Map<string, { contacts: number; ordered: number }>();
  for (const [id, source] of sourceOf) {
    const s = sources.get(source) ?? { contacts: 0, ordered: 0 };
    s.contacts++;
    if (ordered.has(id)) s.ordered++;
    sources.set(source, s);
  }
  return {
    rows,
    churned: byStage.get("churned")!.size,
    sources: [...sources].map(([source, v]) => ({ source, ...v })).sort((a, b) => b.contacts - a.contacts),
  };
}

/** `now` is the business clock: conversations idle for a day before min(to, now) count as stalled. */
export async function funnelReport(store: Store, from: number, to: number, audience?: Audience, now = Date.now()): Promise<FunnelReport> {
  const entries = await store.stageEntries(from, to, audience);
  const dropOff = await store.stepCounts({ ...(audience ? { audience } : {}), idleSince: Math.min(to, now) - 86_400_000 });
  dropOff.sort((a, b) => b.count - a.count);
  return { from, to, ...(audience ? { audience } : {}), ...computeFunnel(entries), dropOff: dropOff.slice(0, 10) };
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
