import type { Contact, Conversation, Order } from "../../model/domain.ts";
import type { Bundle } from "../bundle.ts";
import type { Promo } from "../schema-extras.ts";
import { money, text, type Resolve } from "../text.ts";
import { checkPromo, type PromoCheck } from "./promo.ts";
import { betterSet, type SetOffer } from "./sets.ts";
import { computeTotals, goodsOf, type CartTotals } from "./totals.ts";

/**
 * {{cart.*}} for texts: the lines, and a summary block whose every figure comes from
 * computeTotals — goods, promo, points, delivery (or how much is left to free
 * delivery), the total and the points it earns. Built when a text asks for it.
 */
export interface CartContext {
  bundle: Bundle;
  conv: Conversation;
  contact: Contact;
  orders: readonly Order[];
  now: number;
  promoUses: Readonly<Record<string, number>>;
  /** resolves other placeholders for the summary's texts */
  values: Resolve;
}

/** The promo code in the conversation, checked against this cart now. */
export function promoState(ctx: CartContext): PromoCheck | undefined {
  const code = ctx.conv.vars.promo_code;
  if (typeof code !== "string" || code === "") return undefined;
  return checkPromo(ctx.bundle.shop.promos, code, {
    now: ctx.now,
    goods: goodsOf(ctx.conv.cart),
    orders: ctx.orders,
    usesOverall: ctx.promoUses[code] ?? 0,
  });
}

export function cartTotals(ctx: CartContext): CartTotals {
  const { conv, contact, bundle } = ctx;
  const check = promoState(ctx);
  const promo: Promo | undefined = check?.ok ? check.promo : undefined;
  const delivery = typeof conv.vars.delivery === "string" && conv.vars.delivery !== "" ? conv.vars.delivery : undefined;
  return computeTotals({
    lines: conv.cart,
    rules: bundle.shop.money,
    ...(delivery ? { delivery } : {}),
    ...(promo ? { promo } : {}),
    pointsAvailable: contact.bonusPoints,
    spendPoints: conv.vars.spend_points === true,
    // the win-back offer (customer.lapse) tags the order with :free_delivery
    freeDelivery: conv.vars.promo === ":free_delivery",
  });
}

export function cartView(ctx: CartContext): Record<string, unknown> {
  const { conv, bundle, contact } = ctx;
  const { currency } = bundle.catalogue;
  const l = contact.locale;
  const m = (k: number) => money(k, currency, l);
  let totals: CartTotals | undefined;
  const t = () => (totals ??= cartTotals(ctx));
  let offer: SetOffer | null | undefined;
  const setOffer = () => (offer === undefined ? (offer = betterSet(bundle, conv.cart)) : offer);
  const say = (key: string, extra: Record<string, unknown>) =>
    text(bundle, l, key, (name) => (Object.hasOwn(extra, name) ? extra[name] : ctx.values(name)));
  return {
    get lines() {
      return conv.cart.map((line) => `• ${line.title} × ${line.qty} — ${m(line.price * line.qty)}`).join("\n");
    },
    get goods() {
      return m(t().goods);
    },
    get total() {
      return m(t().total);
    },
    get count() {
      return conv.cart.reduce((s, line) => s + line.qty, 0);
    },
    get spendable() {
      return t().spendable;
    },
    /** "1" when points could be spent and are not yet (shows the option) */
    get can_spend() {
      return t().spendable > 0 && conv.vars.spend_points !== true ? "1" : "";
    },
    get set_offer() {
      const o = setOffer();
      return o ? say("money.set_offer", { set: { title: o.title, price: m(o.price), saves: m(o.saves) } }) : "";
    },
    get summary() {
      const x = t();
      const rows: string[] = [say("money.goods", { amount: m(x.goods) })];
      const check = promoState(ctx);
      if (x.promo > 0) rows.push(say("money.promo", { code: x.promoCode, amount: m(x.promo) }));
      else if (check && !check.ok) rows.push(promoRefusal(ctx, check, m));
      if (x.points > 0) rows.push(say("money.points", { points: x.points / 100, amount: m(x.points) }));
      const pickup = conv.vars.delivery === "pickup";
      const chosen = typeof conv.vars.delivery === "string" && conv.vars.delivery !== "";
      const fee = chosen ? x.delivery : x.courierFee;
      // the placed order's summary says what was charged and earned, not what is left to free delivery
      const placed = conv.vars.placing === true;
      if (!pickup) {
        if (fee === 0) rows.push(say("money.delivery_free", {}));
        else rows.push(say(placed ? "money.delivery_paid" : chosen ? "money.delivery_fee" : "money.delivery_courier", { amount: m(fee), left: m(x.leftToFree), free_from: m(x.freeFrom) }));
      }
      rows.push(say("money.total", { amount: m(x.total) }));
      if (x.earned > 0) rows.push(say(placed ? "money.earned" : "money.earn", { points: x.earned }));
      return rows.join("\n");
    },
  };
}

/** Why a promo code does not apply, in the customer's words. */
export function promoRefusal(ctx: CartContext, check: Extract<PromoCheck, { ok: false }>, m: (k: number) => string): string {
  const { bundle, contact } = ctx;
  const code = check.promo?.code ?? String(ctx.conv.vars.promo_input ?? ctx.conv.vars.promo_code ?? "");
  const extra: Record<string, unknown> = { code, until: check.promo?.until ?? "", missing: check.reason === "min_order" ? m(check.missing) : "" };
  return text(bundle, contact.locale, `promo.${check.reason}`, (name) => (Object.hasOwn(extra, name) ? extra[name] : ctx.values(name)));
}
