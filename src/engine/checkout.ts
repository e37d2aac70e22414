import type { Order } from "../model/domain.ts";
import type { Invoice } from "../model/outbound.ts";
import { cartTotals, promoRefusal, promoState } from "./money/cart-view.ts";
import { checkPromo, findPromo } from "./money/promo.ts";
import { goodsOf } from "./money/totals.ts";
import { money } from "./text.ts";
import type { Turn } from "./turn.ts";

/**
 * Checkout helpers the steps call: what the last order remembers, a promo code typed
 * or brought by a link, and online payment for an order just placed.
 */

/** last_order, last_delivery, last_address, last_phone from the customer's last order ("" when none). */
export function recall(turn: Turn): void {
  const { conv } = turn;
  const last = turn.orders.find((o) => o.status !== "cancelled");
  conv.vars.last_order = last ? last.lines.map((l) => `${l.title} × ${l.qty}`).join(", ") : "";
  conv.vars.last_delivery = last?.delivery.split(":")[0] ?? "";
  conv.vars.last_address = last?.address ?? "";
  conv.vars.last_phone = last?.phone ?? turn.contact.phone ?? "";
}

/** The code in var promo_input: kept when it works (or only needs a bigger cart), refused with the reason otherwise. */
export function applyPromo(turn: Turn): void {
  const { conv, bundle } = turn;
  const code = String(conv.vars.promo_input ?? "");
  conv.vars.promo_input = "";
  const ctx = turn.cartContext();
  const promo = findPromo(bundle.shop.promos, code);
  const check = checkPromo(bundle.shop.promos, code, {
    now: turn.now,
    goods: goodsOf(conv.cart),
    orders: turn.orders,
    usesOverall: turn.input.promoUses?.[promo?.code ?? code] ?? 0,
  });
  const m = (k: number) => money(k, bundle.catalogue.currency, turn.locale);
  if (check.ok || check.reason === "min_order") {
    conv.vars.promo_code = check.promo.code;
    turn.cartChanged();
    const what = check.promo.percent !== undefined ? `${check.promo.percent}\u00a0%` : m(Math.round((check.promo.amount ?? 0) * 100));
    turn.touch("note", `promo ${check.promo.code} ${check.ok ? "applied" : "kept until the cart is big enough"}`, { data: { promo: check.promo.code } });
    const key = check.ok ? (conv.cart.length > 0 ? "promo.applied" : "promo.saved") : "promo.min_order";
    turn.say({ text: turn.t(key, { code: check.promo.code, what, missing: check.ok ? "" : m(check.missing) }) });
    return;
  }
  turn.touch("note", `promo ${code} refused: ${check.reason}`, { data: { promo: code, refused: check.reason } });
  turn.say({ text: promoRefusal(ctx, check, m) });
}

/** Still stands: the order as it is now is the one the customer was asked to pay (Telegram pre-checkout). */
export function orderStillStands(order: Order | undefined | null, totalAmount: number, currency: string): { ok: true } | { ok: false; reason: "gone" | "cancelled" | "paid" | "changed" } {
  if (!order) return { ok: false, reason: "gone" };
  if (order.status === "cancelled") return { ok: false, reason: "cancelled" };
  if (order.payment?.status === "paid") return { ok: false, reason: "paid" };
  if (currency !== "RUB" || totalAmount !== order.total) return { ok: false, reason: "changed" };
  return { ok: true };
}

/** The invoice of an order: its lines, delivery and discounts summing exactly to its total. */
export function invoiceFor(turn: Turn, order: Order): Invoice {
  const t = order.totals;
  const prices = order.lines.map((l) => ({ label: `${l.title} × ${l.qty}`.slice(0, 64), amount: l.price * l.qty }));
  if (t && t.delivery > 0) prices.push({ label: turn.t("money.invoice_delivery"), amount: t.delivery });
  if (t && t.promo > 0) prices.push({ label: turn.t("money.invoice_promo", { code: t.promoCode ?? "" }), amount: -t.promo });
  if (t && t.points > 0) prices.push({ label: turn.t("money.invoice_points"), amount: -t.points });
  return {
    orderId: order.id,
    title: turn.t("pay.invoice_title", { order: { number: order.number } }).slice(0, 32),
    description: turn.t("pay.invoice_description", { order: { number: order.number } }).slice(0, 255),
    payload: order.id,
    currency: "RUB",
    prices,
  };
}

/** Online payment for the order just placed: a Telegram invoice, a provider's link, or pay on delivery. */
export function offerPayment(turn: Turn, textKey: string): void {
  const { conv, bundle } = turn;
  if (conv.vars.pay !== "online") return;
  conv.vars.pay = "";
  const order = turn.orders.find((o) => o.id === conv.vars.last_order_id);
  if (!order) return;
  const m = (k: number) => money(k, bundle.catalogue.currency, turn.locale);
  if (conv.channel === "telegram") {
    turn.say({ text: turn.t(textKey, { order: { number: order.number, total: m(order.total) } }), invoice: invoiceFor(turn, order) });
    turn.touch("note", `invoice sent for order ${order.number}`, { data: { orderId: order.id, invoice: order.total } });
    return;
  }
  const template = bundle.shop.payment.linkTemplate;
  if (!template) {
    turn.say({ text: turn.t("pay.on_delivery_only") });
    return;
  }
  const link = template.replace("{order}", encodeURIComponent(order.number)).replace("{amount}", String(order.total));
  turn.say({ text: turn.t("pay.link", { link, order: { number: order.number, total: m(order.total) } }) });
  turn.touch("note", `payment link sent for order ${order.number}`, { data: { orderId: order.id, link } });
}

export { cartTotals, promoState };
