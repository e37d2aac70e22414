import type { InboundMessage } from "../model/inbound.ts";
import type { Choice } from "../model/outbound.ts";
import { MENU_ID, PERSON_ID, runFrom } from "./run.ts";
import type { Turn } from "./turn.ts";
import { understand, type Meaning } from "./understand/understand.ts";
import { fill } from "./text.ts";
import { productById } from "./views.ts";

/**
 * The customer's own words, acted on: a product, a category, an FAQ answer, an
 * intent's step, an audience's flow, a promo code. Buttons of a "did you mean" offer
 * carry the meaning itself (`u:<kind>:<id>`), so they work from any step.
 */
export const MEANING_PREFIX = "u:";

export function meaningButton(m: Meaning): string | undefined {
  switch (m.kind) {
    case "product":
    case "category":
    case "faq":
    case "intent":
      return `${MEANING_PREFIX}${m.kind}:${m.id}`;
    default:
      return undefined;
  }
}

export function meaningOfButton(id: string | undefined): Meaning | undefined {
  if (!id?.startsWith(MEANING_PREFIX)) return undefined;
  const [kind, ref] = id.slice(MEANING_PREFIX.length).split(":");
  if (!ref) return undefined;
  if (kind === "product" || kind === "category" || kind === "faq" || kind === "intent") return { kind, id: ref };
  return undefined;
}

/** Understood and acted on: true; false when the words mean nothing to the shop. */
export function actOnWords(turn: Turn, msg: InboundMessage): boolean {
  if (!msg.text || msg.buttonId !== undefined) return false;
  const u = understand(turn.bundle, msg.text);
  if (!u.best) return false;
  turn.touch("note", `understood: ${describe(u.best)}${u.also ? ` + ${describe(u.also)}` : ""}`, { data: { understood: describe(u.best) } });
  if (u.best.kind === "hello") {
    // a greeting gets the shop's front page: popular products, the last order, the catalogue
    runFrom(turn, turn.bundle.shop.entry);
    return true;
  }
  turn.reachForward("interest", "wrote to the shop");
  // two questions in one go: the first answered in words, the second with its buttons
  if (u.also && u.best.kind === "faq") {
    turn.say({ text: faqAnswer(turn, u.best.id) });
    act(turn, u.also);
    return true;
  }
  if (u.also?.kind === "faq") {
    act(turn, u.best);
    turn.say({ text: faqAnswer(turn, u.also.id) });
    return true;
  }
  act(turn, u.best);
  return true;
}

export function act(turn: Turn, m: Meaning): void {
  const { conv, contact, bundle } = turn;
  const { answers } = bundle.shop;
  switch (m.kind) {
    case "product": {
      const p = productById(bundle, m.id);
      if (!p) return runFrom(turn, bundle.shop.menu);
      conv.vars.product = p.id;
      conv.vars.category = p.category;
      if (m.qty) {
        conv.vars.qty = m.qty;
        return runFrom(turn, answers.productQty ?? bundle.shop.menu);
      }
      return runFrom(turn, answers.product ?? bundle.shop.menu);
    }
    case "products":
      conv.vars.matches = m.ids.join(",");
      return runFrom(turn, answers.products ?? bundle.shop.menu);
    case "category":
      conv.vars.category = m.id;
      turn.reachForward("desire", `asked for ${m.id}`);
      return runFrom(turn, answers.category ?? bundle.shop.menu);
    case "faq":
      conv.vars.faq = m.id;
      turn.reachForward("research", `asked: ${m.id}`);
      return runFrom(turn, answers.faq ?? bundle.shop.menu);
    case "intent": {
      const intent = bundle.shop.intents.find((i) => i.id === m.id);
      if (!intent) return runFrom(turn, bundle.shop.menu);
      if (intent.stage) turn.reachForward(intent.stage, `asked about ${intent.id}`);
      return runFrom(turn, intent.next);
    }
    case "audience": {
      const route = bundle.shop.deepLinks.audiences[m.id];
      if (!route) return runFrom(turn, bundle.shop.menu);
      contact.audience = route.audience;
      return runFrom(turn, route.next);
    }
    case "promo":
      conv.vars.promo_input = m.code;
      return runFrom(turn, answers.promo ?? bundle.shop.menu);
    case "hello":
      return runFrom(turn, bundle.shop.entry);
  }
}

/** {{faq.answer}}: the answer of the FAQ entry in var faq, placeholders filled. */
export function faqAnswer(turn: Turn, id: string): string {
  const q = turn.bundle.faq.questions.find((x) => x.id === id);
  return q ? fill(q.answer[turn.locale], turn.values()).trim() : "";
}

/**
 * Not understood: said briefly, with the two or three closest things the shop has and
 * a person; the buttons of the question the customer was at stay valid.
 */
export function notUnderstood(turn: Turn, text: string | undefined): void {
  const { conv } = turn;
  const close = text ? understand(turn.bundle, text).close : [];
  const offers: Choice[] = [];
  for (const m of close) {
    const id = meaningButton(m);
    const label = id && meaningLabel(turn, m);
    if (id && label && !offers.some((o) => o.label === label)) offers.push({ id, label });
    if (offers.length === 3) break;
  }
  if (offers.length === 0) offers.push({ id: `${MEANING_PREFIX}intent:catalogue`, label: turn.t("common.catalogue") });
  const person = turn.choice(PERSON_ID, "engine.person_option");
  const menu = turn.choice(MENU_ID, "engine.menu_option");
  const choices = [...offers.slice(0, 3), person, ...(offers.length < 3 ? [menu] : [])];
  turn.touch("note", `not understood: ${(text ?? "").slice(0, 100)}`, { data: { notUnderstood: true } });
  turn.say({ text: turn.t(offers.length > 0 && close.length > 0 ? "engine.not_understood_close" : "engine.not_understood_short"), choices });
  const waiting = conv.awaiting;
  // the earlier question's buttons still work; the offer's buttons work from anywhere
  if (waiting) conv.awaiting = { ...waiting, choices: [...(waiting.choices ?? []), person, menu], numbered: false };
}

function meaningLabel(turn: Turn, m: Meaning): string | undefined {
  const l = turn.locale;
  switch (m.kind) {
    case "product":
      return productById(turn.bundle, m.id)?.title[l];
    case "category":
      return turn.bundle.catalogue.categories.find((c) => c.id === m.id)?.title[l];
    case "faq": {
      const key = `faq.${m.id}`;
      const label = turn.t(key);
      return label === key ? undefined : label;
    }
    case "intent": {
      const key = `intents.${m.id}`;
      const label = turn.t(key);
      return label === key ? undefined : label;
    }
    default:
      return undefined;
  }
}

function describe(m: Meaning): string {
  switch (m.kind) {
    case "product":
      return m.qty ? `product ${m.id} × ${m.qty}` : `product ${m.id}`;
    case "products":
      return `products ${m.ids.join(",")}`;
    case "promo":
      return `promo ${m.code}`;
    case "hello":
      return "hello";
    default:
      return `${m.kind} ${m.id}`;
  }
}
