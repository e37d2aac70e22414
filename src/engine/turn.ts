import type { Channel } from "../model/channel.ts";
import {
  MOMENT_WEIGHT,
  STAGES,
  type Contact,
  type Conversation,
  type Locale,
  type Moment,
  type Order,
  type StageKey,
  type Touchpoint,
  type TouchpointKind,
} from "../model/domain.ts";
import type { InboundEvent } from "../model/inbound.ts";
import type { Choice, OutboundMessage } from "../model/outbound.ts";
import type { Bundle } from "./bundle.ts";
import { grams, money, text, type TemplateScope } from "./text.ts";

/** Builds links that carry a deep-link payload back to the shop, per channel. */
export type LinkBuilder = (channel: Channel, payload: string) => string;

export interface EngineInput {
  bundle: Bundle;
  event: InboundEvent;
  now: number;
  /** null for a new conversation */
  conversation: Conversation | null;
  contact: Contact;
  /** the contact's recent orders, newest first (repeat, intervals) */
  orders: Order[];
  /** the contact behind a ref_<code> deep link, when the event carries one */
  referrer: Contact | null;
  /** deterministic ids: the same event gives the same ids on replay */
  newId: (prefix: string) => string;
  links: LinkBuilder;
}

export interface ReferralReward {
  referrerId: string;
  friendName: string;
  orderId: string;
  bonus: number;
}

export interface EngineResult {
  conversation: Conversation;
  contact: Contact;
  outbound: OutboundMessage[];
  touchpoints: Touchpoint[];
  /** orders created or changed in this step */
  orders: Order[];
  /** referrers to reward (delivered to their own conversation as an event) */
  rewards: ReferralReward[];
}

const factsCache = new WeakMap<Bundle, Partial<Record<Locale, Record<string, string>>>>();

/** {{shop.*}}: the shop's name and facts in one locale, built once per loaded bundle. */
function shopFacts(bundle: Bundle, l: Locale): Record<string, string> {
  let perLocale = factsCache.get(bundle);
  if (!perLocale) factsCache.set(bundle, (perLocale = {}));
  let facts = perLocale[l];
  if (!facts) {
    facts = { name: bundle.shop.name[l] };
    for (const [k, v] of Object.entries(bundle.shop.facts)) facts[k] = v[l];
    perLocale[l] = facts;
  }
  return facts;
}

/** One engine step in progress: the state being changed and what it produced. */
export class Turn {
  readonly bundle: Bundle;
  readonly now: number;
  readonly event: InboundEvent;
  readonly conv: Conversation;
  readonly contact: Contact;
  readonly orders: Order[];
  readonly input: EngineInput;
  readonly outbound: OutboundMessage[] = [];
  readonly touchpoints: Touchpoint[] = [];
  readonly changedOrders = new Map<string, Order>();
  readonly rewards: ReferralReward[] = [];

  constructor(input: EngineInput, conv: Conversation) {
    this.input = input;
    this.bundle = input.bundle;
    this.now = input.now;
    this.event = input.event;
    this.conv = conv;
    this.contact = structuredClone(input.contact);
    this.orders = input.orders.map((o) => structuredClone(o));
  }

  get locale() {
    return this.contact.locale;
  }

  /**
   * Template scope for texts: variables, shop facts, the chosen product, the cart.
   * Parts that take work (prices, the cart) are getters, so a text pays only for the
   * placeholders it uses; facts are built once per bundle and locale.
   */
  scope(extra: TemplateScope = {}): TemplateScope {
    const l = this.locale;
    const { catalogue, shop } = this.bundle;
    const { conv, contact } = this;
    const product = catalogue.products.find((p) => p.id === conv.vars.product);
    const category = catalogue.categories.find((c) => c.id === conv.vars.category);
    const price = (rub: number) => money(Math.round(rub * 100), catalogue.currency, l);
    return {
      ...conv.vars,
      name: contact.name ?? "",
      bonus: contact.bonusPoints,
      shop: shopFacts(this.bundle, l),
      product: product && {
        id: product.id,
        title: product.title[l],
        description: product.description[l],
        get price() {
          return price(product.price);
        },
        get protein() {
          return product.protein !== undefined ? grams(product.protein, l) : "";
        },
        get sugar() {
          return product.sugar !== undefined ? grams(product.sugar, l) : "";
        },
        get weight() {
          return product.weight !== undefined ? grams(product.weight, l) : "";
        },
        photo: product.photo ?? "",
        /** the comparison criterion: price per 100 g */
        get per100g() {
          return product.weight ? price((product.price * 100) / product.weight) : "";
        },
      },
      category: category && { id: category.id, title: category.title[l] },
      cart: {
        get lines() {
          return conv.cart.map((line) => `• ${line.title} × ${line.qty} — ${money(line.price * line.qty, catalogue.currency, l)}`).join("\n");
        },
        get total() {
          return money(conv.cart.reduce((s, line) => s + line.price * line.qty, 0), catalogue.currency, l);
        },
        get count() {
          return conv.cart.reduce((s, line) => s + line.qty, 0);
        },
      },
      lifecycle: {
        join_bonus: shop.lifecycle.joinBonus,
        referral_bonus: shop.lifecycle.referralBonus,
        repeat_days: contact.orderIntervalDays ?? shop.lifecycle.repeatAfterDays,
      },
      ...extra,
    };
  }

  t(key: string, extra: TemplateScope = {}): string {
    return text(this.bundle, this.locale, key, this.scope(extra));
  }

  say(message: OutboundMessage): void {
    this.outbound.push(message);
    this.touch("message_out", message.text.slice(0, 200), {
      data: message.choices ? { choices: message.choices.map((c) => c.id) } : undefined,
    });
  }

  choice(id: string, labelKey: string, extra?: TemplateScope): Choice {
    return { id, label: this.t(labelKey, extra) };
  }

  touch(
    kind: TouchpointKind,
    summary: string,
    more: Partial<Pick<Touchpoint, "stage" | "moment" | "data" | "channel">> = {},
  ): Touchpoint {
    const tp: Touchpoint = {
      id: this.input.newId("tp"),
      at: this.now,
      contactId: this.contact.id,
      conversationKey: this.conv.key,
      channel: more.channel ?? this.conv.channel,
      kind,
      flow: this.conv.flow,
      ...(this.conv.step ? { step: this.conv.step } : {}),
      summary,
      ...(more.stage ? { stage: more.stage } : {}),
      ...(more.moment ? { moment: more.moment } : {}),
      ...(more.data ? { data: more.data } : {}),
    };
    if (more.moment) this.contact.balance += MOMENT_WEIGHT[more.moment];
    this.touchpoints.push(tp);
    return tp;
  }

  moment(moment: Moment, summary: string, data?: Record<string, unknown>): void {
    this.touch("note", summary, { moment, data });
  }

  /** Mark a journey stage. The first time is kept for the funnel; every change is logged. */
  reach(stage: StageKey, why: string): void {
    const c = this.contact;
    if (c.stage === stage && c.stagesReached[stage] !== undefined) return;
    if (c.stagesReached[stage] === undefined) c.stagesReached[stage] = this.now;
    const from = c.stage;
    c.stage = stage;
    this.touch("stage", `${from} → ${stage}: ${why}`, { stage, data: { from, why } });
  }

  /** Like reach, but never moves a contact "back" to an earlier funnel step. */
  reachForward(stage: StageKey, why: string): void {
    const order = (s: StageKey) => STAGES.indexOf(s);
    if (this.contact.stage !== "churned" && order(stage) < order(this.contact.stage)) {
      if (this.contact.stagesReached[stage] === undefined) {
        this.contact.stagesReached[stage] = this.now;
        this.touch("stage", `reached ${stage}: ${why}`, { stage, data: { why } });
      }
      return;
    }
    this.reach(stage, why);
  }

  saveOrder(order: Order): void {
    this.changedOrders.set(order.id, order);
    const i = this.orders.findIndex((o) => o.id === order.id);
    if (i >= 0) this.orders[i] = order;
    else this.orders.unshift(order);
  }

  result(): EngineResult {
    this.conv.updatedAt = this.now;
    this.contact.updatedAt = this.now;
    return {
      conversation: this.conv,
      contact: this.contact,
      outbound: this.outbound,
      touchpoints: this.touchpoints,
      orders: [...this.changedOrders.values()],
      rewards: this.rewards,
    };
  }
}
