import { performance } from "node:perf_hooks";
import { funnelReport } from "../src/analytics/funnel.ts";
import { STAGES, type Contact, type Conversation, type Order, type StageKey, type Touchpoint, type TouchpointKind } from "../src/model/domain.ts";
import type { StepCommit, Store } from "../src/store/port.ts";

/**
 * The funnel report over a shop's month: `contacts` contacts (100,000 by default)
 * with 10 touchpoints each and their first-reached stages, written through the Store
 * port's commitStep like the worker writes them, then `funnelReport` timed. Seeding
 * speed is reported but not a target.
 */
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const TOUCHPOINTS_PER_CONTACT = 10;
const BATCH = 64;

/** chance of going on from the stage before (everyone reaches awareness) */
const GO_ON: Partial<Record<StageKey, number>> = {
  interest: 0.8,
  desire: 0.7,
  research: 0.8,
  comparison: 0.75,
  action: 0.5,
  engagement: 0.45,
  satisfaction: 0.6,
  repeat: 0.55,
  curiosity: 0.45,
  loyalty: 0.6,
  advocacy: 0.3,
};
/** typical gap before each stage: minutes early in the journey, days after the order */
const GAP: Partial<Record<StageKey, number>> = {
  interest: 2 * MINUTE,
  desire: 5 * MINUTE,
  research: 10 * MINUTE,
  comparison: 30 * MINUTE,
  action: 6 * HOUR,
  engagement: 1 * DAY,
  satisfaction: 2 * DAY,
  repeat: 10 * DAY,
  curiosity: 12 * DAY,
  loyalty: 10 * DAY,
  advocacy: 15 * DAY,
};
/** where a conversation stalls, by the last stage its contact reached (drop-off) */
const STALL_STEP: Partial<Record<StageKey, string>> = {
  awareness: "welcome",
  interest: "menu",
  desire: "catalogue",
  research: "products",
  comparison: "card",
};
const SOURCES = [undefined, undefined, "gym_flyer", "instagram", "qr_store", "yandex_ad"] as const;
const TP_KINDS: TouchpointKind[] = ["message_in", "message_out", "button", "message_out", "note"];

/** small deterministic PRNG so every run seeds the same shop */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface FunnelPeriod {
  from: number;
  to: number;
}

/** the month the seeded contacts arrived in (ends a day ago, so drop-off sees idle chats) */
export function funnelPeriod(now = Date.now()): FunnelPeriod {
  const to = Math.floor((now - DAY) / DAY) * DAY;
  return { from: to - 30 * DAY, to };
}

/** One contact's whole month as one commit: contact, conversation, touchpoints, order. */
export function contactCommit(i: number, period: FunnelPeriod, rand: () => number): StepCommit {
  const id = `c_bench${i.toString(36).padStart(6, "0")}`;
  const chatId = String(900_000_000 + i);
  const key = `telegram:${chatId}`;
  const span = period.to - period.from;
  const first = period.from + Math.floor(rand() * span * 0.95);
  const reached: Partial<Record<StageKey, number>> = { awareness: first };
  let last: StageKey = "awareness";
  let t = first;
  for (const stage of STAGES) {
    if (stage === "awareness" || stage === "churned") continue;
    if (rand() >= (GO_ON[stage] ?? 0)) break;
    // exponential gap around the stage's typical one
    t += Math.max(1000, Math.round(-Math.log(1 - rand()) * (GAP[stage] ?? HOUR)));
    reached[stage] = t;
    last = stage;
  }
  if (reached.action !== undefined && rand() < 0.1) reached.churned = t + 20 * DAY;
  const source = SOURCES[Math.floor(rand() * SOURCES.length)];
  const ordered = reached.action !== undefined;

  const stageTimes = Object.entries(reached).filter(([s]) => s !== "churned") as [StageKey, number][];
  const touchpoints: Touchpoint[] = [];
  const end = Math.max(t, first + 3 * MINUTE);
  for (let k = 0; k < TOUCHPOINTS_PER_CONTACT; k++) {
    const stageTp = stageTimes[k];
    const at = stageTp ? stageTp[1] : first + Math.floor(((end - first) * k) / TOUCHPOINTS_PER_CONTACT);
    touchpoints.push({
      id: `tp_${id}_${k}`,
      at,
      contactId: id,
      conversationKey: key,
      channel: "telegram",
      kind: stageTp ? "stage" : TP_KINDS[k % TP_KINDS.length]!,
      flow: "customer",
      summary: stageTp ? `reached ${stageTp[0]}` : `message ${k}`,
      ...(stageTp ? { stage: stageTp[0] } : {}),
    });
  }

  const contact: Contact = {
    id,
    name: `Customer ${i}`,
    locale: "ru",
    audience: "customer",
    ...(source ? { source } : {}),
    referralCode: `r${i.toString(36)}`,
    identities: [{ channel: "telegram", userId: chatId, reachable: true }],
    stagesReached: reached,
    stage: reached.churned !== undefined ? "churned" : last,
    balance: 0,
    optIn: false,
    bonusPoints: 0,
    bonusMember: false,
    orderCount: ordered ? 1 : 0,
    ...(ordered ? { lastOrderAt: reached.action } : {}),
    createdAt: first,
    updatedAt: end,
  };
  const conversation: Conversation = {
    key,
    channel: "telegram",
    chatId,
    contactId: id,
    flow: "customer",
    step: STALL_STEP[last] ?? null,
    awaiting: null,
    vars: {},
    cart: [],
    handoff: null,
    timers: {},
    lastInboundAt: end,
    hints: {},
    outSeq: TOUCHPOINTS_PER_CONTACT,
    createdAt: first,
    updatedAt: end,
  };
  const orders: Order[] = ordered
    ? [
        {
          id: `ord_${id}`,
          number: `B-${i}`,
          contactId: id,
          conversationKey: key,
          channel: "telegram",
          audience: "customer",
          lines: [{ productId: "bar_choco", title: "Шоколадный брауни", qty: 12, price: 14900 }],
          total: 12 * 14900,
          delivery: "pickup",
          status: "placed",
          createdAt: reached.action!,
          updatedAt: reached.action!,
        },
      ]
    : [];
  return { conversation, contacts: [contact], touchpoints, orders, outbox: [] };
}

/**
 * Writes the month through commitStep, BATCH contacts at a time: one commit with the
 * batch's contacts, touchpoints and orders (what the store indexes for the funnel),
 * then one commit per conversation (a commit carries at most one), issued together
 * so Redis pipelines them. Returns ms taken.
 */
export async function seedFunnel(store: Store, contacts: number, period: FunnelPeriod): Promise<number> {
  return seedCommits(store, contacts, BATCH, (j, rand) => contactCommit(j, period, rand), 20261124);
}

/** contacts `commitOf(0..n-1)` written `batch` at a time as above; answers ms taken */
export async function seedCommits(store: Store, n: number, batch: number, commitOf: (j: number, rand: () => number) => StepCommit, seed: number): Promise<number> {
  const rand = mulberry32(seed);
  const t0 = performance.now();
  for (let i = 0; i < n; i += batch) {
    const commits: StepCommit[] = [];
    for (let j = i; j < Math.min(n, i + batch); j++) commits.push(commitOf(j, rand));
    await store.commitStep({
      contacts: commits.flatMap((c) => c.contacts),
      touchpoints: commits.flatMap((c) => c.touchpoints),
      orders: commits.flatMap((c) => c.orders),
      outbox: [],
    });
    await Promise.all(
      commits.map((c) => store.commitStep({ ...(c.conversation ? { conversation: c.conversation } : {}), contacts: [], touchpoints: [], orders: [], outbox: [] })),
    );
  }
  return performance.now() - t0;
}

export interface FunnelTiming {
  seedMs: number;
  runsMs: number[];
  minMs: number;
  medianMs: number;
  /** contacts at the first stage and at action, as a sanity check of the report */
  awareness: number;
  action: number;
}

/** funnelReport(store, from, to) `runs` times. */
export async function timeFunnel(store: Store, period: FunnelPeriod, seedMs: number, runs = 5): Promise<FunnelTiming> {
  const runsMs: number[] = [];
  let awareness = 0;
  let action = 0;
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    const report = await funnelReport(store, period.from, period.to);
    runsMs.push(performance.now() - t0);
    awareness = report.rows.find((x) => x.stage === "awareness")?.reached ?? 0;
    action = report.rows.find((x) => x.stage === "action")?.reached ?? 0;
  }
  const sorted = [...runsMs].sort((a, b) => a - b);
  return { seedMs, runsMs, minMs: sorted[0]!, medianMs: sorted[sorted.length >> 1]!, awareness, action };
}
