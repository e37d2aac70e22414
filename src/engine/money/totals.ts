import type { CartLine, OrderTotals } from "../../model/domain.ts";
import type { MoneyRules, Promo } from "../schema-extras.ts";

/**
 * Every figure of a cart or an order, computed once, in integer kopecks: the chat,
 * the staff API and the reports show these numbers and never add them up again.
 *
 *   goods − promo − points + delivery = total
 *
 * The promo applies to the goods; free delivery counts the goods after the promo
 * (before points, which are a way to pay); points pay at most maxSpendPercent of the
 * goods after the promo, in whole points; points earned are earnPercent of what is
 * paid for goods (after the promo and points), rounded down.
 */
export interface CartTotals extends OrderTotals {
  /** the free-delivery threshold, kopecks */
  freeFrom: number;
  /** how much more goods would make delivery free (0 when it already is) */
  leftToFree: number;
  /** points the customer could spend on this cart, within the shop's rules */
  spendable: number;
  /** what a courier would cost this cart (0 when free): shown before a delivery is chosen */
  courierFee: number;
}

export interface TotalsInput {
  lines: readonly CartLine[];
  rules: MoneyRules;
  /** the delivery kind chosen (courier_office, pickup…); none yet: no fee in the total (the summary tells the courier's) */
  delivery?: string;
  promo?: Promo;
  /** points the customer has */
  pointsAvailable: number;
  /** spend them (as many as the rules allow) */
  spendPoints: boolean;
  /** delivery is free whatever the sum (a win-back offer) */
  freeDelivery?: boolean;
}

const rub = (r: number) => Math.round(r * 100);

export function goodsOf(lines: readonly CartLine[]): number {
  let sum = 0;
  for (const l of lines) sum += l.price * l.qty;
  return sum;
}

export function promoDiscount(promo: Promo | undefined, goods: number): number {
  if (!promo) return 0;
  if (promo.percent !== undefined) return Math.min(goods, Math.round((goods * promo.percent) / 100));
  return Math.min(goods, rub(promo.amount ?? 0));
}

export function computeTotals(input: TotalsInput): CartTotals {
  const { rules } = input;
  const goods = goodsOf(input.lines);
  const promo = promoDiscount(input.promo, goods);
  const afterPromo = goods - promo;
  const spendableKop = Math.floor((afterPromo * rules.bonus.maxSpendPercent) / 100 / 100) * 100;
  const spendable = Math.max(0, Math.min(Math.floor(input.pointsAvailable), spendableKop / 100));
  const points = input.spendPoints ? spendable * 100 : 0;
  const freeFrom = rub(rules.freeDeliveryFrom);
  const courierFee = Math.max(0, ...Object.entries(rules.deliveryFees).filter(([k]) => k !== "pickup").map(([, v]) => rub(v)));
  const kindFee = input.delivery !== undefined ? rub(rules.deliveryFees[input.delivery] ?? courierFee / 100) : courierFee;
  const free = afterPromo >= freeFrom || input.freeDelivery === true;
  const delivery = free || input.delivery === undefined ? 0 : kindFee;
  const total = afterPromo - points + delivery;
  const earned = Math.floor(((afterPromo - points) * rules.bonus.earnPercent) / 100 / 100);
  return {
    courierFee: free ? 0 : courierFee,
    goods,
    promo,
    ...(input.promo && promo > 0 ? { promoCode: input.promo.code } : {}),
    points,
    delivery,
    total,
    earned,
    freeFrom,
    leftToFree: free ? 0 : freeFrom - afterPromo,
    spendable,
  };
}

/** The figures an order keeps (without the cart-only hints). */
export function orderTotals(t: CartTotals): OrderTotals {
  return {
    goods: t.goods,
    promo: t.promo,
    ...(t.promoCode ? { promoCode: t.promoCode } : {}),
    points: t.points,
    delivery: t.delivery,
    total: t.total,
    earned: t.earned,
  };
}
