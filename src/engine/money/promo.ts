import type { Order } from "../../model/domain.ts";
import type { Promo } from "../schema-extras.ts";

/**
 * Whether a promo code can be used now, and if not, why — in words the customer
 * understands: expired, used up (overall), already used by you, the order is too
 * small (and by how much).
 */
export type PromoCheck =
  | { ok: true; promo: Promo }
  | { ok: false; reason: "unknown" | "expired" | "used_up" | "used_by_you"; promo?: Promo }
  | { ok: false; reason: "min_order"; promo: Promo; missing: number };

/** Moscow is UTC+3 all year: the day a code's "until" means. */
const MSK = 3 * 3_600_000;

export function moscowDay(now: number): string {
  return new Date(now + MSK).toISOString().slice(0, 10);
}

export function findPromo(promos: readonly Promo[], code: string): Promo | undefined {
  const c = code.toLowerCase();
  return promos.find((p) => p.code.toLowerCase() === c);
}

export interface PromoContext {
  now: number;
  /** goods in the cart, kopecks */
  goods: number;
  /** this customer's orders (not cancelled ones count as uses) */
  orders: readonly Order[];
  /** uses overall, all customers (from the counter) */
  usesOverall: number;
}

export function usesBy(orders: readonly Order[], code: string): number {
  return orders.filter((o) => o.status !== "cancelled" && o.totals?.promoCode?.toLowerCase() === code.toLowerCase()).length;
}

export function checkPromo(promos: readonly Promo[], code: string, ctx: PromoContext): PromoCheck {
  const promo = findPromo(promos, code);
  if (!promo) return { ok: false, reason: "unknown" };
  if (promo.until && moscowDay(ctx.now) > promo.until) return { ok: false, reason: "expired", promo };
  if (promo.limit !== undefined && ctx.usesOverall >= promo.limit) return { ok: false, reason: "used_up", promo };
  if (usesBy(ctx.orders, promo.code) >= promo.perCustomer) return { ok: false, reason: "used_by_you", promo };
  const min = Math.round(promo.minOrder * 100);
  if (ctx.goods < min) return { ok: false, reason: "min_order", promo, missing: min - ctx.goods };
  return { ok: true, promo };
}
