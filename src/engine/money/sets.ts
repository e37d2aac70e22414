import type { CartLine } from "../../model/domain.ts";
import type { Bundle } from "../bundle.ts";
import type { Product } from "../schema.ts";

/**
 * A cheaper set for what the cart holds: a product with `setOf: {category, qty}` (the
 * office box of 12 assorted bars) when the cart has at least that many of the
 * category and they cost more than the set. The biggest saving wins.
 */
export interface SetOffer {
  productId: string;
  title: string;
  /** kopecks */
  price: number;
  /** what the cart's parts cost minus the set, kopecks */
  saves: number;
  category: string;
  qty: number;
}

function units(bundle: Bundle, cart: readonly CartLine[], category: string): number[] {
  const byId = new Map(bundle.catalogue.products.map((p) => [p.id, p]));
  const prices: number[] = [];
  for (const line of cart) {
    const p = byId.get(line.productId);
    if (p?.category === category && !p.setOf) for (let i = 0; i < line.qty; i++) prices.push(line.price);
  }
  return prices.sort((a, b) => b - a);
}

export function betterSet(bundle: Bundle, cart: readonly CartLine[], locale: "ru" | "en" = "ru"): SetOffer | null {
  let best: SetOffer | null = null;
  for (const p of bundle.catalogue.products as Product[]) {
    if (!p.setOf || !p.inStock) continue;
    const prices = units(bundle, cart, p.setOf.category);
    if (prices.length < p.setOf.qty) continue;
    // the set replaces the dearest parts: the biggest saving for the customer
    const parts = prices.slice(0, p.setOf.qty).reduce((s, x) => s + x, 0);
    const price = Math.round(p.price * 100);
    const saves = parts - price;
    if (saves > 0 && (!best || saves > best.saves)) {
      best = { productId: p.id, title: p.title[locale], price, saves, category: p.setOf.category, qty: p.setOf.qty };
    }
  }
  return best;
}

/** The cart with the set's parts (dearest first) taken out and the set put in. */
export function swapForSet(bundle: Bundle, cart: readonly CartLine[], offer: SetOffer, title: string): CartLine[] {
  const byId = new Map(bundle.catalogue.products.map((p) => [p.id, p]));
  let left = offer.qty;
  const lines = cart.map((l) => ({ ...l }));
  const parts = lines.filter((l) => byId.get(l.productId)?.category === offer.category && !byId.get(l.productId)?.setOf).sort((a, b) => b.price - a.price);
  for (const line of parts) {
    const take = Math.min(line.qty, left);
    line.qty -= take;
    left -= take;
    if (left === 0) break;
  }
  const out = lines.filter((l) => l.qty > 0);
  const existing = out.find((l) => l.productId === offer.productId);
  if (existing) existing.qty += 1;
  else out.push({ productId: offer.productId, title, qty: 1, price: offer.price });
  return out;
}
