import type { Contact, Order, Touchpoint } from "../src/model/domain.ts";
import type { StepCommit, Store } from "../src/store/port.ts";
import { contactCommit, seedCommits, type FunnelPeriod } from "./funnel.ts";

/**
 * The owner reports' shop: the funnel bench's month (`contacts` contacts, 10
 * touchpoints each, their stages and first orders) with what the other reports read
 * written in the same ten touchpoints — the bot's replies at the customer flow's
 * steps (drop-off), CSAT / NPS / open answers with good and bad moments (feedback,
 * at risk), handoffs with staff replies and hand-backs (staff) — and repeat orders
 * over the three months before (cohorts, overdue). Written straight into the store
 * with commitStep in large batches, never through the pipeline.
 */
const MINUTE = 60_000;
const DAY = 86_400_000;
const BATCH = 250;
/** where the bot spoke, in the order a customer walks them (all steps of flows/customer.flow.yaml) */
const WALK = ["welcome", "menu", "catalogue", "products", "card", "qty", "cart", "checkout", "confirm"] as const;
const OPERATORS = ["anna", "boris", "vera"];

export function reportCommit(i: number, period: FunnelPeriod, rand: () => number): StepCommit {
  const c = contactCommit(i, period, rand);
  const contact = c.contacts[0]! as Contact;
  const key = c.conversation!.key;
  const tps = c.touchpoints as Touchpoint[];
  const first = contact.createdAt;
  const free = tps.map((t, k) => (t.kind === "stage" ? -1 : k)).filter((k) => k >= 0);
  const tpAt = (k: number) => tps[k]!.at;
  let next = 0;
  const take = (): number | undefined => free[next++];
  const put = (k: number | undefined, t: Omit<Touchpoint, "id" | "contactId" | "conversationKey" | "channel">) => {
    if (k === undefined) return;
    tps[k] = { id: tps[k]!.id, contactId: contact.id, conversationKey: key, channel: "telegram", ...t };
  };
  // the bot's replies along the walk, as far as this contact's stages went
  const depth = Math.min(WALK.length, 1 + Object.keys(contact.stagesReached).length);
  const replies = Math.min(depth, free.length - 4);
  for (let s = 0; s < replies; s++) {
    const k = take();
    if (k === undefined) break;
    put(k, { at: tpAt(k), kind: "message_out", flow: "customer", step: WALK[s]!, summary: `bot at ${WALK[s]}` });
  }
  let balance = 0;
  const r = rand();
  if (r < 0.12 && contact.orderCount > 0) {
    // a score after the order: csat mostly, a tenth of them bad
    const nps = rand() < 0.4;
    const score = nps ? Math.floor(rand() * 11) : 1 + Math.floor(rand() * 5);
    const bad = nps ? score <= 6 : score <= 2;
    const k = take();
    const at = Math.min(period.to - MINUTE, (contact.lastOrderAt ?? first) + Math.floor(rand() * 2 * DAY));
    put(k, {
      at,
      kind: "feedback",
      flow: "feedback",
      summary: `${nps ? "NPS" : "CSAT"} ${score}`,
      moment: bad ? "bad" : score >= (nps ? 9 : 5) ? "good" : undefined,
      data: { scale: nps ? "nps" : "csat", score },
    } as unknown as Touchpoint);
    balance += bad ? -12 : score >= (nps ? 9 : 5) ? 1 : 0;
    if (rand() < 0.3) put(take(), { at: at + MINUTE, kind: "feedback", flow: "feedback", summary: "отзыв", data: { scale: "open", text: `отзыв ${i} про брауни и доставку` } });
    if (bad && rand() < 0.7) {
      // handed to a person, answered, handed back
      const by = OPERATORS[i % OPERATORS.length]!;
      const opened = at + 2 * MINUTE;
      put(take(), { at: opened, kind: "handoff", summary: "→ support: low score", data: { queue: "support", reason: "low score" } });
      put(take(), { at: opened + Math.floor(rand() * 30 * MINUTE), kind: "message_out", summary: "извините", data: { staff: true, by } });
      if (rand() < 0.8) put(take(), { at: opened + 40 * MINUTE + Math.floor(rand() * 3 * 60 * MINUTE), kind: "handoff", summary: "← bot", data: { back: true, by } });
    }
  } else if (r < 0.16) {
    put(take(), { at: first + 5 * MINUTE, kind: "message_in", summary: "спасибо!", moment: "good" });
    balance += 1;
  }
  contact.balance = balance;
  // a third of the buyers bought before too, every few weeks over the three months before
  const orders = c.orders as Order[];
  if (orders.length > 0 && rand() < 0.35) {
    const every = 7 + Math.floor(rand() * 21);
    const before = 1 + Math.floor(rand() * 3);
    for (let n = 1; n <= before; n++) {
      const at = orders[0]!.createdAt - n * every * DAY;
      orders.push({ ...orders[0]!, id: `${orders[0]!.id}_${n}`, number: `${orders[0]!.number}-${n}`, createdAt: at, updatedAt: at, status: "delivered" });
    }
    contact.orderCount = orders.length;
    contact.orderIntervalDays = every;
  }
  return c;
}

/** Seeds the shop; answers ms taken. */
export async function seedReports(store: Store, contacts: number, period: FunnelPeriod): Promise<number> {
  return seedCommits(store, contacts, BATCH, (j, rand) => reportCommit(j, period, rand), 20261207);
}
