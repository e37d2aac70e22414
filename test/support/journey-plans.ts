import type { Channel } from "../../src/model/channel.ts";
import { DAY, HOUR, MIN, T0, type Journeys, type Person, type Plan } from "./journeys.ts";
import type { Harness } from "./harness.ts";

/**
 * The test's cast: 240 people over 58 days on the four channels, from the gym flyer,
 * VK ads, the counter's QR or nowhere in particular; partners and suppliers among
 * them; a third order; six friends of one customer. Then the days are played in
 * order: first contacts at 9:00, same-day reorders at 15:00, deliveries the next noon
 * with feedback two hours later, monthly reorders at 11:00.
 */
const CHANNELS: Channel[] = ["telegram", "whatsapp", "vk", "web"];
const SOURCES = ["gym_flyer", "vk_ads", undefined, "counter_qr", undefined] as const;
const DEPTH = ["start", "start", "menu", "catalogue", "products", "card", "card", "order", "order", "order"] as const;
const CSAT = [5, 4, 5, 2, 5, 3, 4, 5];
const NPS = [10, 9, 8, 6, 10, 3, 9, 7];
const COMMENTS = ["Доставка быстрая, спасибо", "Всё отлично", "Хочу больше вкусов", "Курьер опоздал, но вежливый"];
export const LAST_DAY = 96;

export function plans(n = 240): Plan[] {
  const out: Plan[] = [];
  for (let i = 0; i < n; i++) {
    const audience = i % 20 === 7 ? "partner" : i % 40 === 13 ? "supplier" : "customer";
    const depth = audience === "customer" ? DEPTH[(i * 7) % 10]! : "start";
    const day = (i * 13) % 58;
    const source = SOURCES[i % 5];
    // an audience link is a start parameter: Telegram, VK and the web chat have one
    const channel = audience === "supplier" ? "telegram" : CHANNELS[i % 4]!;
    const plan: Plan = { channel, audience, depth, day, ...(source ? { source } : {}) };
    if (depth === "order") {
      if (i % 6 === 0) plan.reorder = "same_day";
      if (i % 6 === 3) plan.reorder = "month";
      if (plan.reorder === "month" && day <= 30 && i % 12 === 3) plan.third = true;
      plan.csat = CSAT[i % 8]!;
      plan.nps = NPS[(i >> 1) % 8]!;
      plan.comment = COMMENTS[i % 4]!;
    }
    out.push(plan);
  }
  for (let k = 0; k < 6; k++) {
    out.push({ channel: k % 2 ? "telegram" : "web", friend: true, audience: "customer", depth: k < 3 ? "order" : "menu", day: 40 + k, csat: 5, nps: 10, comment: "Посоветовала подруга" });
  }
  return out;
}

export async function play(h: Harness, j: Journeys, n = 240, extra: Plan[] = []): Promise<void> {
  const at = (day: number, h: number, m = 0) => j.t0 + day * DAY + h * HOUR + m * MIN;
  const people = [...extra, ...plans(n)].map((p) => j.add(p));
  // a chat still with a person (a low NPS nobody took yet) gets no bot menu: they reorder no more
  const ordered = (p: Person) => p.orders.length > 0 && !(p.care && p.care.backAt === undefined);
  for (let d = 0; d <= LAST_DAY; d++) {
    if (d === 35) {
      const referrer = people.find((p) => p.plan.referrer) ?? people.find((p) => p.plan.depth === "order" && p.plan.day < 30 && !p.plan.reorder && (p.plan.csat ?? 0) >= 4 && (p.plan.nps ?? 0) >= 7)!;
      await j.until(at(d, 8));
      await j.invite(referrer);
    }
    const today = people.filter((p) => p.plan.day === d);
    if (today.length > 0) {
      await j.until(at(d, 9));
      await j.walk(today);
    }
    const month = people.filter((p) => p.plan.reorder === "month" && p.plan.day === d - 30 && ordered(p));
    const third = people.filter((p) => p.plan.third && p.plan.day === d - 55 && p.orders.length === 2);
    if (month.length + third.length > 0) {
      await j.until(at(d, 11));
      await j.reorder([...month, ...third]);
    }
    const delivered = people.filter((p) => p.plan.day === d - 1 && ordered(p) && p.plan.csat !== undefined);
    if (delivered.length > 0) {
      await j.until(at(d, 12));
      const orders = (await h.staff("GET", "/api/orders?limit=500")).json.orders as { id: string; conversationKey: string; createdAt: number }[];
      const first = new Map<string, string>();
      for (const o of [...orders].sort((a, b) => b.createdAt - a.createdAt)) first.set(o.conversationKey, o.id);
      await j.deliver(delivered, first);
      await j.until(at(d, 14, 1)); // the feedback questions come two hours after delivery
      await j.rate(delivered);
      await j.care(delivered);
    }
    const sameDay = people.filter((p) => p.plan.reorder === "same_day" && p.plan.day === d && ordered(p));
    if (sameDay.length > 0) {
      await j.until(at(d, 15));
      await j.reorder(sameDay);
    }
  }
}

export const PERIOD = { from: T0, to: T0 + (LAST_DAY + 1) * DAY };
