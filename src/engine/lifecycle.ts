import type { Order } from "../model/domain.ts";
import type { Turn } from "./turn.ts";

/**
 * What an order means for the journey: action / repeat / loyalty, the customer's own
 * buying interval, the reminders timed to it, and the referral reward.
 */
const DAY = 86_400_000;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export function placeOrderLifecycle(turn: Turn, order: Order): void {
  const { contact, conv } = turn;
  const { lifecycle } = turn.bundle.shop;
  contact.orderCount += 1;
  contact.lastOrderAt = order.createdAt;
  const times = turn.orders
    .filter((o) => o.status !== "cancelled")
    .map((o) => o.createdAt)
    .sort((a, b) => a - b);
  const gaps = times.slice(1).map((t, i) => (t - times[i]!) / DAY).filter((d) => d > 0.5);
  if (gaps.length > 0) contact.orderIntervalDays = Math.round(median(gaps) * 10) / 10;

  if (contact.orderCount === 1) turn.reach("action", "first order");
  else if (contact.orderCount === 2) turn.reach("repeat", "second order");
  else turn.reach("loyalty", `order #${contact.orderCount}`);

  if (contact.orderCount === 1 && contact.referredBy) {
    const bonus = lifecycle.referralBonus;
    contact.bonusPoints += bonus;
    turn.touch("note", `referral bonus +${bonus}`, { moment: "good", data: { bonus, referrerId: contact.referredBy } });
    turn.rewards.push({ referrerId: contact.referredBy, friendName: contact.name ?? "", orderId: order.id, bonus });
  }

  // Reminders follow this customer's own rhythm; a later order anywhere replaces them.
  const interval = (contact.orderIntervalDays ?? lifecycle.repeatAfterDays) * DAY;
  const token = (name: string) => `${name}:${order.id}`;
  conv.timers.repeat = { at: order.createdAt + interval, token: token("repeat"), target: "repeat_due" };
  conv.timers.lapse = { at: order.createdAt + interval * lifecycle.lapseFactor, token: token("lapse"), target: "lapse_due" };
  conv.timers.churn = { at: order.createdAt + lifecycle.churnAfterDays * DAY, token: token("churn"), target: "churn" };
}

/** A lifecycle timer is stale when the contact ordered again after it was set. */
export function isStaleLifecycleTimer(turn: Turn, token: string): boolean {
  const orderId = token.slice(token.indexOf(":") + 1);
  const latest = turn.orders.filter((o) => o.status !== "cancelled").sort((a, b) => b.createdAt - a.createdAt)[0];
  return latest !== undefined && latest.id !== orderId;
}
