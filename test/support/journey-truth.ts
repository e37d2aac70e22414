import { STAGES, type StageKey } from "../../src/model/domain.ts";
import { DAY, medianOf, type Person } from "./journeys.ts";

/**
 * Every report's expected numbers, computed from the script's notes alone (what each
 * person did and when), by the definitions the reports document — never from the
 * store. The report tests compare the service's answers with these.
 */
export interface Period {
  from: number;
  to: number;
}
const inP = (t: number | undefined, p: Period): t is number => t !== undefined && t >= p.from && t < p.to;
const group = (p: Person) => (p.plan.friend ? "referrals" : (p.plan.source ?? "direct"));
const audienceOf = (p: Person) => p.plan.audience;
const ratio = (a: number, b: number) => (b > 0 ? a / b : null);
const median = (xs: number[]) => (xs.length ? medianOf(xs) : null);

export function funnel(people: Person[], p: Period) {
  const at = (x: Person, s: StageKey) => (inP(x.reached[s], p) ? x.reached[s] : undefined);
  const steps = STAGES.filter((s) => s !== "churned");
  const rows = steps.map((stage, i) => {
    const here = people.filter((x) => at(x, stage) !== undefined);
    const prev = i > 0 ? steps[i - 1]! : undefined;
    const before = prev ? people.filter((x) => at(x, prev) !== undefined) : [];
    const gaps = prev ? here.filter((x) => at(x, prev) !== undefined && at(x, stage)! >= at(x, prev)!).map((x) => at(x, stage)! - at(x, prev)!) : [];
    return { stage, reached: here.length, conversion: prev ? ratio(here.length, before.length) : null, medianMsFromPrevious: median(gaps) };
  });
  return { rows, churned: people.filter((x) => at(x, "churned") !== undefined).length };
}

export function sources(people: Person[], p: Period) {
  const rows = new Map<string, { source: string; contacts: number; converted: number; firstOrders: number; orders: number; revenue: number }>();
  for (const x of people) {
    const first = x.orders[0]?.at;
    const isNew = inP(x.reached.awareness, p);
    const inPeriod = x.orders.filter((o) => inP(o.at, p));
    if (!isNew && !inP(first, p) && inPeriod.length === 0) continue;
    const key = group(x);
    const r = rows.get(key) ?? { source: key, contacts: 0, converted: 0, firstOrders: 0, orders: 0, revenue: 0 };
    if (isNew) {
      r.contacts++;
      if (first !== undefined && first < p.to) r.converted++;
    }
    if (inP(first, p)) r.firstOrders++;
    r.orders += inPeriod.length;
    r.revenue += inPeriod.reduce((s, o) => s + o.total, 0);
    rows.set(key, r);
  }
  return [...rows.values()].map((r) => ({ ...r, conversion: ratio(r.converted, r.contacts) }));
}

/** reached / stopped for the steps the script walks; a person who ordered went on past them */
export function dropoff(people: Person[], p: Period, steps: string[]) {
  return steps.map((step) => {
    const reached = people.filter((x) => x.visits.some((v) => v.step === step && inP(v.at, p))).length;
    const stopped = people.filter((x) => {
      // an order goes on past the steps listed (checkout, survey, reminders are not noted),
      // unless a walk noted after it is the last thing the person did (the invitation)
      const seen = x.visits.filter((v) => inP(v.at, p));
      if (x.orders.length > 0) {
        const a = x.afterOrder;
        return a !== undefined && a.step === step && a.at === seen[seen.length - 1]?.at && a.at > x.lastOrderAt! && a.at < p.to - DAY;
      }
      const last = seen[seen.length - 1];
      return last?.step === step && last.at < p.to - DAY;
    }).length;
    return { step, reached, stopped };
  });
}

export function feedback(people: Person[], p: Period) {
  const all = people.flatMap((x) => x.feedback.filter((f) => inP(f.at, p)).map((f) => ({ ...f, x })));
  const csat = all.filter((f) => f.scale === "csat").map((f) => f.score!);
  const nps = all.filter((f) => f.scale === "nps").map((f) => f.score!);
  const npsScore = (s: number[]) => (s.length ? Math.round(((s.filter((v) => v >= 9).length - s.filter((v) => v <= 6).length) / s.length) * 1000) / 10 : null);
  return {
    csat: {
      count: csat.length,
      average: csat.length ? Math.round((csat.reduce((a, b) => a + b, 0) / csat.length) * 100) / 100 : null,
      distribution: [1, 2, 3, 4, 5].map((score) => ({ score, count: csat.filter((s) => s === score).length })),
    },
    nps: { count: nps.length, promoters: nps.filter((s) => s >= 9).length, passives: nps.filter((s) => s === 7 || s === 8).length, detractors: nps.filter((s) => s <= 6).length, score: npsScore(nps) },
    answers: all.filter((f) => f.scale === "open").map((f) => f.text!),
    low: people
      .filter((x) => x.care && inP(x.care.openedAt, p))
      .map((x) => ({
        at: x.care!.openedAt,
        // CSAT and NPS can be answered in the same minute: the low one is the last before the case
        score: x.feedback.filter((f) => f.at === x.care!.openedAt && f.scale !== "open").pop()!.score!,
        handledBy: x.care!.by ? [x.care!.by] : [],
        firstReplyAt: x.care!.repliedAt ?? null,
        resolvedAt: x.care!.backAt ?? null,
        outcome: x.care!.backAt ? "resolved" : x.care!.by ? "in_progress" : "not_taken",
      }))
      .sort((a, b) => b.at - a.at),
    npsWeeks: (week: (t: number) => number) => {
      const m = new Map<number, number[]>();
      for (const f of all) if (f.scale === "nps") m.set(week(f.at), [...(m.get(week(f.at)) ?? []), f.score!]);
      return new Map([...m].map(([w, s]) => [w, { count: s.length, score: npsScore(s) }]));
    },
  };
}

export function risk(people: Person[], p: Period, lapseFactor: number) {
  const moments = people.flatMap((x) => x.moments.filter((m) => inP(m.at, p)));
  // churned by the time the report is read (the churn timer fires only while no later order replaced it)
  const churned = (x: Person) => x.reached.churned !== undefined;
  const atRisk = people.flatMap((x) => {
    if (x.orders.length > 0 && churned(x)) return [];
    if (x.balance < 0) return [{ n: x.n, reason: "bad_moment", balance: x.balance }];
    if (x.intervalDays !== undefined && x.orders.length >= 2 && (p.to - x.lastOrderAt!) / DAY > x.intervalDays * lapseFactor) return [{ n: x.n, reason: "overdue", balance: x.balance }];
    return [];
  });
  return { good: moments.filter((m) => m.moment === "good").length, bad: moments.filter((m) => m.moment === "bad").length, atRisk };
}

const month = (t: number) => new Date(t).toISOString().slice(0, 7);
export function cohorts(people: Person[], p: Period) {
  const buyers = people.filter((x) => x.orders.length > 0 && x.orders[0]!.at >= p.from && x.orders[0]!.at < p.to);
  const byMonth = new Map<string, Person[]>();
  for (const x of buyers) byMonth.set(month(x.orders[0]!.at), [...(byMonth.get(month(x.orders[0]!.at)) ?? []), x]);
  const shift = (m: string, k: number) => {
    const [y, mm] = m.split("-").map(Number) as [number, number];
    const n = y * 12 + mm - 1 + k;
    return `${Math.floor(n / 12)}-${String((n % 12) + 1).padStart(2, "0")}`;
  };
  const cohorts = [...byMonth.keys()].sort().map((m) => {
    const xs = byMonth.get(m)!;
    const span = (Number(month(p.to - 1).slice(0, 4)) - Number(m.slice(0, 4))) * 12 + Number(month(p.to - 1).slice(5)) - Number(m.slice(5));
    return {
      month: m,
      customers: xs.length,
      retention: Array.from({ length: span + 1 }, (_, k) => ratio(xs.filter((x) => x.orders.some((o) => o.at < p.to && month(o.at) === shift(m, k))).length, xs.length)),
    };
  });
  const repeat = buyers.filter((x) => x.orders.filter((o) => o.at < p.to).length >= 2).length;
  return { cohorts, customers: buyers.length, repeatCustomers: repeat, repeatRate: ratio(repeat, buyers.length) };
}

export function staff(people: Person[], p: Period) {
  const cases = people.filter((x) => x.care && inP(x.care.openedAt, p)).map((x) => x.care!);
  const masha = cases.filter((c) => c.by === "Маша");
  return {
    cases: cases.length,
    unanswered: cases.filter((c) => c.repliedAt === undefined).length,
    unresolved: cases.filter((c) => c.backAt === undefined).length,
    operators: masha.length
      ? [{ operator: "Маша", chats: masha.length, replies: masha.length, resolved: masha.length, medianFirstResponseMs: median(masha.map((c) => c.repliedAt! - c.openedAt)), medianResolutionMs: median(masha.map((c) => c.backAt! - c.openedAt)) }]
      : [],
  };
}

export { audienceOf, group };
