import type { Bundle } from "../engine/bundle.ts";
import type { AnalyticsPort, StoreKind } from "../store/port.ts";
import { DAY, ratio, reads, type AudienceFilter, type Period } from "./common.ts";

/**
 * Drop-off per flow, step by step, as Typebot defines it: of the conversations that
 * reached a step in the period (the bot spoke at it), how many stopped there — it was
 * the last step they reached and they went quiet for a day before the period's end
 * (or now). Steps that end a flow are where everybody stops: they are shown, never
 * ranked. Worst first: the most conversations lost.
 */
export interface DropoffStep {
  flow: string;
  step: string;
  /** the step's kind in the flow (say, choose, ask, end…) */
  kind: string;
  reached: number;
  stopped: number;
  rate: number | null;
  /** the flow ends here */
  terminal: boolean;
}

export interface DropoffReport extends Period {
  audience: AudienceFilter;
  flows: { flow: string; title: string; steps: DropoffStep[] }[];
  /** the non-terminal steps that lost anyone, most lost first */
  worst: DropoffStep[];
}

const TERMINAL = new Set(["end", "handoff"]);

export async function dropoffReport(store: AnalyticsPort & StoreKind, bundle: Bundle, p: Period, audience: AudienceFilter, now: number): Promise<DropoffReport> {
  const visits = await reads(store).stepVisits(p.from, p.to);
  const quietSince = Math.min(p.to, now) - DAY;
  const flows = [...bundle.flows.values()].filter((f) => audience === "all" || f.audience === audience);
  const wanted = new Set(flows.map((f) => f.id));
  const reached = new Map<string, Set<string>>();
  const last = new Map<string, { key: string; at: number }>();
  for (const v of visits) {
    const key = `${v.flow}\n${v.step}`;
    // the last step is looked for in every flow: one that went on into another flow did not stop
    const l = last.get(v.conversationKey);
    if (!l || v.at >= l.at) last.set(v.conversationKey, { key, at: v.at });
    if (!wanted.has(v.flow)) continue;
    let s = reached.get(key);
    if (!s) reached.set(key, (s = new Set()));
    s.add(v.conversationKey);
  }
  const stopped = new Map<string, number>();
  for (const l of last.values()) if (l.at < quietSince) stopped.set(l.key, (stopped.get(l.key) ?? 0) + 1);
  const out = flows.map((f) => ({
    flow: f.id,
    title: f.title ?? f.id,
    steps: Object.entries(f.steps).map(([id, def]): DropoffStep => {
      const key = `${f.id}\n${id}`;
      const n = reached.get(key)?.size ?? 0;
      const lost = stopped.get(key) ?? 0;
      return { flow: f.id, step: id, kind: def.kind, reached: n, stopped: lost, rate: ratio(lost, n), terminal: TERMINAL.has(def.kind) };
    }),
  }));
  const worst = out
    .flatMap((f) => f.steps)
    .filter((s) => !s.terminal && s.stopped > 0)
    .sort((a, b) => b.stopped - a.stopped || (b.rate ?? 0) - (a.rate ?? 0) || `${a.flow}.${a.step}`.localeCompare(`${b.flow}.${b.step}`));
  return { ...p, audience, flows: out.filter((f) => f.steps.some((s) => s.reached > 0)), worst };
}
