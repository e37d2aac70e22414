import { createHash } from "node:crypto";
import type { Awaiting, CartLine, Order } from "../model/domain.ts";
import type { InboundMessage } from "../model/inbound.ts";
import type { Choice } from "../model/outbound.ts";
import { CAPABILITIES } from "../model/channel.ts";
import { showsNumbers } from "../render/numbered.ts";
import { interpret } from "./answers.ts";
import { getStep, resolveStepRef } from "./bundle.ts";
import { placeOrderLifecycle } from "./lifecycle.ts";
import type { Step } from "./schema.ts";
import { durationMs, fill, money } from "./text.ts";
import type { Turn } from "./turn.ts";
import { localeViews, productById } from "./views.ts";
import { waitingNotice } from "./waiting.ts";
import { cartTotals } from "./money/cart-view.ts";
import { betterSet, swapForSet } from "./money/sets.ts";
import { orderTotals } from "./money/totals.ts";
import { applyPromo, offerPayment, recall } from "./checkout.ts";

/**
 * Where the flow decides: run steps from `ref` until one waits for the customer
 * (a question, a timer, a person) or the flow ends.
 */
const MAX_STEPS_PER_TURN = 64;

export const PERSON_ID = "__person";
export const MENU_ID = "__menu";

export function runFrom(turn: Turn, ref: string): void {
  let target: string | undefined = ref;
  let flow = turn.conv.flow;
  for (let i = 0; target !== undefined; i++) {
    if (i >= MAX_STEPS_PER_TURN) {
      // A loop in the flow data: stop rather than spin; flows check reports such loops.
      turn.touch("note", `flow loop stopped at ${flow}.${target}`, { data: { error: "loop" } });
      return goMenuAfterError(turn);
    }
    const { flow: f, step: s }: { flow: string; step: string } = resolveStepRef(target, flow);
    const def = getStep(turn.bundle, f, s);
    if (!def) {
      turn.touch("note", `missing step ${f}.${s}`, { data: { error: "missing_step" } });
      return goMenuAfterError(turn);
    }
    flow = f;
    turn.conv.flow = f;
    turn.conv.step = s;
    turn.conv.awaiting = null;
    if (def.stage) turn.reachForward(def.stage, `step ${f}.${s}`);
    target = execute(turn, def, `${f}.${s}`);
  }
}

function goMenuAfterError(turn: Turn): void {
  turn.conv.awaiting = null;
  turn.conv.step = null;
  turn.say({ text: turn.t("engine.not_understood"), choices: [turn.choice(MENU_ID, "engine.menu_option"), turn.choice(PERSON_ID, "engine.person_option")] });
}

function templ(turn: Turn, value: string | number | boolean): string | number | boolean {
  return typeof value === "string" ? fill(value, turn.values()) : value;
}

/** Options shown: those whose `when` is met (a placeholder path that is set, not "" / "0" / "false"). */
function visibleOptions<O extends { when?: string }>(turn: Turn, options: O[]): O[] {
  return options.filter((o) => {
    if (!o.when) return true;
    const v = fill(`{{${o.when}}}`, turn.values());
    return v !== "" && v !== "0" && v !== "false";
  });
}

function optionChoices(turn: Turn, options: { id: string; label: string; when?: string }[]): Choice[] {
  return visibleOptions(turn, options).map((o) => turn.choice(o.id, o.label));
}

function pickChoices(turn: Turn, def: Extract<Step, { kind: "pick" }>): Choice[] {
  const { catalogue } = turn.bundle;
  const l = turn.locale;
  let fromCatalogue: Choice[];
  if (def.from === "categories") {
    fromCatalogue = catalogue.categories.map((c) => ({ id: c.id, label: c.title[l] }));
  } else if (def.from === "popular" || def.from === "matches") {
    const { pickLines } = localeViews(turn.bundle, l);
    const wanted = def.from === "matches" ? String(turn.conv.vars.matches ?? "").split(",") : undefined;
    const products = wanted
      ? wanted.map((id) => productById(turn.bundle, id)).filter((p) => p !== undefined && p.inStock)
      : catalogue.products.filter((p) => p.popular && p.inStock);
    fromCatalogue = products.map((p) => ({ id: p!.id, label: p!.title[l], description: pickLines.get(p!)! }));
  } else {
    const category = String(templ(turn, def.category ?? ""));
    const { pickLines } = localeViews(turn.bundle, l);
    fromCatalogue = catalogue.products
      .filter((p) => p.inStock && p.category === category)
      .map((p) => ({ id: p.id, label: p.title[l], description: pickLines.get(p)! }));
  }
  return [...fromCatalogue, ...optionChoices(turn, def.options)];
}

function await_(turn: Turn, stepRef: string, kind: Awaiting["kind"], choices?: Choice[]): void {
  const { conv } = turn;
  const numbered = choices !== undefined && showsNumbers(choices.length, CAPABILITIES[conv.channel], conv.hints);
  conv.awaiting = { step: stepRef, kind, ...(choices && choices.length > 0 ? { choices } : {}), ...(numbered ? { numbered } : {}), failures: 0 };
}

const SCALES = { csat: [1, 2, 3, 4, 5], nps: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10] } as const;

/** Show the question of a waiting step (also used to repeat it after a miss). */
export function ask(turn: Turn, def: Step, stepRef: string, prefix?: string): void {
  const lead = prefix ? `${prefix}\n\n` : "";
  switch (def.kind) {
    case "choose": {
      const choices = optionChoices(turn, def.options);
      turn.say({
        text: lead + turn.t(def.text),
        choices,
        listLabel: turn.t(def.listLabel ?? "engine.choose_from_list"),
        ...(def.photo ? { photoUrl: fill(def.photo, turn.values()) } : {}),
      });
      return await_(turn, stepRef, "choice", choices);
    }
    case "pick": {
      const choices = pickChoices(turn, def);
      turn.say({ text: lead + turn.t(def.text), choices, listLabel: turn.t(def.listLabel ?? "engine.choose_from_list") });
      return await_(turn, stepRef, "choice", choices);
    }
    case "ask": {
      const choices = (def.suggestions ?? []).map((s) => ({ id: s, label: s }));
      // A number we already know (WhatsApp, an earlier order) is one tap away.
      if (def.input === "phone" && turn.contact.phone) choices.unshift({ id: turn.contact.phone, label: `+${turn.contact.phone}` });
      turn.say({
        text: lead + turn.t(def.text),
        ...(choices.length > 0 ? { choices } : {}),
        ...(def.input === "phone" ? { askPhone: { label: turn.t("engine.share_phone") } } : {}),
      });
      return await_(turn, stepRef, def.input, choices);
    }
    case "feedback": {
      if (def.scale === "open") {
        turn.say({ text: lead + turn.t(def.text) });
        return await_(turn, stepRef, "text");
      }
      const choices = SCALES[def.scale].map((n) => ({ id: String(n), label: String(n) }));
      turn.say({ text: lead + turn.t(def.text), choices });
      return await_(turn, stepRef, "number", choices);
    }
    default:
      return;
  }
}

/** Run one step; returns the next step ref, or undefined when the turn waits or ends. */
function execute(turn: Turn, def: Step, stepRef: string): string | undefined {
  const { conv } = turn;
  switch (def.kind) {
    case "say":
      turn.say({ text: turn.t(def.text), ...(def.photo ? { photoUrl: fill(def.photo, turn.values()) } : {}) });
      if (!def.next) conv.step = null;
      return def.next;
    case "choose":
    case "pick":
    case "feedback":
      ask(turn, def, stepRef);
      return undefined;
    case "ask":
      if (def.skipIfSet && conv.vars[def.var] !== undefined && conv.vars[def.var] !== "") return def.next;
      ask(turn, def, stepRef);
      return undefined;
    case "goto":
      return def.next;
    case "set":
      for (const [k, v] of Object.entries(def.vars)) conv.vars[k] = templ(turn, v);
      return def.next;
    case "branch": {
      const scope = turn.values();
      for (const c of def.cases) {
        const value = fill(`{{${c.var}}}`, scope);
        const hit = c.equals === undefined ? value !== "" && value !== "false" : value === String(c.equals);
        if (hit) return c.next;
      }
      return def.else;
    }
    case "cart_add": {
      const productId = String(templ(turn, def.product));
      const product = productById(turn.bundle, productId);
      const qty = Math.max(1, Math.floor(Number(templ(turn, def.qty)) || 1));
      if (product) {
        const line = conv.cart.find((l) => l.productId === product.id);
        if (line) line.qty += qty;
        else conv.cart.push({ productId: product.id, title: product.title[turn.locale], qty, price: Math.round(product.price * 100) });
        turn.touch("note", `cart + ${product.id} × ${qty}`, { data: { cart: "add", productId, qty } });
        turn.cartChanged();
      }
      return def.next;
    }
    case "cart_clear":
      conv.cart = [];
      turn.cartChanged();
      return def.next;
    case "cart_show":
      if (conv.cart.length === 0) return def.empty;
      turn.say({ text: turn.t(def.text) });
      return def.next;
    case "cart_repeat": {
      const last = turn.orders.find((o) => o.status !== "cancelled");
      if (!last) return def.none;
      conv.cart = repriced(turn, last.lines);
      turn.cartChanged();
      // One tap on any channel: what the last order knew fills what this chat does not.
      const known: Record<string, string | undefined> = { delivery: last.delivery, address: last.address, phone: last.phone };
      for (const [k, v] of Object.entries(known)) if (v && (conv.vars[k] === undefined || conv.vars[k] === "")) conv.vars[k] = v;
      return def.next;
    }
    case "order":
      return placeOrder(turn, def);
    case "recall":
      recall(turn);
      return def.next;
    case "cart_swap_set": {
      const offer = betterSet(turn.bundle, conv.cart, turn.locale);
      if (offer) {
        conv.cart = swapForSet(turn.bundle, conv.cart, offer, offer.title);
        turn.touch("note", `cart: ${offer.qty} of ${offer.category} → ${offer.productId} (saves ${offer.saves})`, { data: { cart: "set", productId: offer.productId, saves: offer.saves } });
        turn.cartChanged();
      }
      return def.next;
    }
    case "apply_promo":
      applyPromo(turn);
      return def.next;
    case "pay":
      offerPayment(turn, def.text);
      return def.next;
    case "handoff":
      startHandoff(turn, def.queue, def.reason, def.resume ? resolveRef(turn, def.resume) : undefined);
      turn.say({ text: withWaitingNotice(turn, turn.t(def.text, { queue: turn.bundle.shop.queues[def.queue]?.[turn.locale] ?? def.queue }), def.eta === "always") });
      return undefined;
    case "wait": {
      const token = turn.input.newId("tm");
      conv.timers.wait = { at: turn.now + durationMs(def.after), token, target: resolveRef(turn, def.next) };
      return undefined;
    }
    case "account":
      return account(turn, def);
    case "referral": {
      const payload = `ref_${turn.contact.referralCode}`;
      turn.say({ text: turn.t(def.text, { referral: { link: turn.input.links(conv.channel, payload), code: turn.contact.referralCode } }) });
      return def.next;
    }
    case "end":
      if (def.text) turn.say({ text: turn.t(def.text) });
      conv.step = null;
      return undefined;
  }
}

function resolveRef(turn: Turn, ref: string): string {
  const r = resolveStepRef(ref, turn.conv.flow);
  return `${r.flow}.${r.step}`;
}

/** Current prices for a repeated order (the catalogue may have changed since). */
function repriced(turn: Turn, lines: CartLine[]): CartLine[] {
  const out: CartLine[] = [];
  for (const line of lines) {
    const p = productById(turn.bundle, line.productId);
    if (!p || !p.inStock) continue;
    out.push({ productId: p.id, title: p.title[turn.locale], qty: line.qty, price: Math.round(p.price * 100) });
  }
  return out;
}

function withWaitingNotice(turn: Turn, text: string, inHoursToo: boolean): string {
  const notice = waitingNotice(turn, { inHoursToo });
  return notice ? `${text}\n\n${notice}` : text;
}

export function startHandoff(turn: Turn, queue: string, reason: string, resumeStep?: string): void {
  const { conv } = turn;
  conv.awaiting = null;
  delete conv.timers.wait;
  conv.handoff = { queue, reason, since: turn.now, ...(resumeStep ? { resumeStep } : {}) };
  turn.touch("handoff", `→ ${queue}: ${reason}`, { data: { queue, reason } });
  turn.reachForward("engagement", "talks to staff");
}

function placeOrder(turn: Turn, def: Extract<Step, { kind: "order" }>): string | undefined {
  const { conv, contact } = turn;
  if (conv.cart.length === 0) return def.next;
  const id = turn.input.newId("ord");
  const scope = turn.values();
  const phone = (def.phone ? fill(def.phone, scope) : "") || contact.phone;
  // every figure once, in kopecks: what the chat, the staff API and the reports show
  const totals = orderTotals(cartTotals(turn.cartContext()));
  const order: Order = {
    id,
    number: orderNumber(id, turn.now),
    contactId: contact.id,
    conversationKey: conv.key,
    channel: conv.channel,
    audience: contact.audience,
    lines: conv.cart,
    total: totals.total,
    totals,
    payment: { method: conv.vars.pay === "online" ? "online" : "on_delivery", status: "pending" },
    delivery: fill(def.delivery, scope),
    ...(def.address ? { address: fill(def.address, scope) } : {}),
    ...(phone ? { phone } : {}),
    status: "placed",
    createdAt: turn.now,
    updatedAt: turn.now,
  };
  if (phone && !contact.phone) contact.phone = phone;
  conv.vars.placing = true;
  turn.cartChanged();
  const summary = fill("{{cart.summary}}", turn.values());
  delete conv.vars.placing;
  turn.saveOrder(order);
  conv.cart = [];
  turn.cartChanged();
  if (totals.promoCode) conv.vars.promo_code = "";
  conv.vars.spend_points = false;
  // points spent now, points earned credited with the order (shown in its summary)
  contact.bonusPoints = contact.bonusPoints - totals.points / 100 + totals.earned;
  conv.vars.last_order_id = order.id;
  turn.touch("order", `order ${order.number}: ${order.lines.map((l) => `${l.productId}×${l.qty}`).join(", ")}`, {
    data: { orderId: order.id, total: order.total, totals },
  });
  placeOrderLifecycle(turn, order);
  const m = (k: number) => money(k, turn.bundle.catalogue.currency, turn.locale);
  turn.say({
    text: turn.t(def.text, {
      order: { number: order.number, total: m(order.total), delivery: order.delivery, summary, earned: totals.earned, points: contact.bonusPoints },
    }),
  });
  return def.next;
}

/** "241124-7QK3": the day and four characters of a hash of the id (stable on replay). */
function orderNumber(id: string, now: number): string {
  const hash = createHash("sha256").update(id).digest().readUInt32BE(0).toString(36).toUpperCase().padStart(4, "0").slice(-4);
  return `${new Date(now).toISOString().slice(2, 10).replace(/-/g, "")}-${hash}`;
}

function account(turn: Turn, def: Extract<Step, { kind: "account" }>): string {
  const { contact } = turn;
  const { lifecycle } = turn.bundle.shop;
  switch (def.action) {
    case "join_bonus":
      if (!contact.bonusMember) {
        contact.bonusMember = true;
        contact.bonusPoints += lifecycle.joinBonus;
        turn.touch("note", "joined the bonus programme", { moment: "good", data: { bonus: lifecycle.joinBonus } });
        turn.reach("loyalty", "joined the bonus programme");
      }
      break;
    case "opt_in":
      contact.optIn = true;
      contact.optedOut = false;
      turn.touch("optin", "opted in to news");
      break;
    case "opt_out":
      contact.optIn = false;
      contact.optedOut = true;
      turn.touch("optin", "opted out");
      break;
    case "set_audience":
      if (def.audience) contact.audience = def.audience;
      break;
  }
  return def.next;
}

/**
 * The customer answered a waiting step. Returns false when the answer did not fit
 * (the caller retries or tries free-text intents).
 */
export function answer(turn: Turn, msg: InboundMessage): boolean {
  const awaiting = turn.conv.awaiting!;
  const { flow, step } = resolveStepRef(awaiting.step, turn.conv.flow);
  const def = getStep(turn.bundle, flow, step);
  if (!def) return false;
  const bounds = def.kind === "ask" ? { min: def.min, max: def.max } : {};
  const a = interpret(awaiting, msg, bounds);
  if (!a.ok) return false;
  turn.conv.awaiting = null;
  switch (def.kind) {
    case "choose": {
      const option = def.options.find((o) => o.id === a.value);
      if (!option) return false;
      if (def.var) turn.conv.vars[def.var] = option.id;
      for (const [k, v] of Object.entries(option.set ?? {})) turn.conv.vars[k] = templ(turn, v);
      runFrom(turn, option.next);
      return true;
    }
    case "pick": {
      const option = def.options.find((o) => o.id === a.value);
      if (option) {
        for (const [k, v] of Object.entries(option.set ?? {})) turn.conv.vars[k] = templ(turn, v);
        runFrom(turn, option.next);
        return true;
      }
      turn.conv.vars[def.var] = String(a.value);
      // a product picked anywhere (popular, matches) brings its category (the card's "back")
      const picked = def.from !== "categories" ? productById(turn.bundle, String(a.value)) : undefined;
      if (picked) turn.conv.vars.category = picked.category;
      runFrom(turn, def.next);
      return true;
    }
    case "ask":
      turn.conv.vars[def.var] = a.value;
      if (def.input === "phone") turn.contact.phone = String(a.value);
      if (def.input === "email") turn.conv.vars.email = String(a.value);
      runFrom(turn, def.next);
      return true;
    case "feedback":
      feedback(turn, def, a.value);
      return true;
    default:
      return false;
  }
}

function feedback(turn: Turn, def: Extract<Step, { kind: "feedback" }>, value: string | number): void {
  const { conv } = turn;
  conv.vars[def.var] = value;
  const score = typeof value === "number" ? value : Number.NaN;
  const low = def.lowAtOrBelow !== undefined && Number.isFinite(score) && score <= def.lowAtOrBelow;
  const good = def.scale === "csat" ? score >= 4 : def.scale === "nps" ? score >= 9 : false;
  const moment = low ? "bad" : good ? "good" : undefined;
  turn.touch("feedback", `${def.scale.toUpperCase()} ${value}`, {
    ...(moment ? { moment } : {}),
    data: { scale: def.scale, ...(def.scale === "open" ? { text: value } : { score }) },
  });
  if (low) {
    if (def.lowText) turn.say({ text: withWaitingNotice(turn, turn.t(def.lowText), true) });
    startHandoff(turn, def.lowQueue, `low ${def.scale} ${score}`);
    return;
  }
  if (def.scale === "csat" && good && turn.orders.some((o) => o.status === "delivered")) {
    turn.reachForward("satisfaction", "delivered and rated well");
  }
  runFrom(turn, def.next);
}

/** The answer did not fit: say so and ask again; after maxFailures offer a person. */
export function retry(turn: Turn): void {
  const awaiting = turn.conv.awaiting!;
  const { flow, step } = resolveStepRef(awaiting.step, turn.conv.flow);
  const def = getStep(turn.bundle, flow, step);
  const failures = awaiting.failures + 1;
  const maxFailures = def?.kind === "ask" ? def.maxFailures : 2;
  if (!def) return goMenuAfterError(turn);
  const retryKey = def.kind === "ask" ? def.retry : "engine.not_understood";
  if (failures >= maxFailures) {
    turn.touch("note", `not understood ${failures}× at ${awaiting.step}`, { data: { stalled: awaiting.step } });
    const offered = awaiting.choices ?? [];
    const person = turn.choice(PERSON_ID, "engine.person_option");
    const menu = turn.choice(MENU_ID, "engine.menu_option");
    const has = (c: { id: string; label: string }) => offered.some((o) => o.id === c.id || o.label === c.label);
    const choices = [...offered, ...[person, menu].filter((c) => !has(c))];
    turn.say({ text: `${turn.t(retryKey)}\n\n${turn.t("engine.offer_person")}`, choices });
    turn.conv.awaiting = { ...awaiting, failures, choices };
    return;
  }
  ask(turn, def, awaiting.step, turn.t(retryKey));
  turn.conv.awaiting!.failures = failures;
}
