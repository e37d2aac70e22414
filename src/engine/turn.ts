import type { Channel } from "../model/channel.ts";
import {
  MOMENT_WEIGHT,
  STAGES,
  type Contact,
  type Conversation,
  type Moment,
  type Order,
  type StageKey,
  type Touchpoint,
  type TouchpointKind,
} from "../model/domain.ts";
import type { InboundEvent } from "../model/inbound.ts";
import type { Choice, OutboundMessage } from "../model/outbound.ts";
import type { Bundle } from "./bundle.ts";
import { cloneData } from "./clone.ts";
import { fill, text, type Resolve, type TemplateScope } from "./text.ts";
import { cartView, type CartContext } from "./money/cart-view.ts";
import { todayView } from "./today.ts";
import { localeViews } from "./views.ts";

/** Lookups of names nobody set fall through to what any plain object inherits. */
const NO_VALUES: Record<string, unknown> = {};

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
  /** promo code uses overall (all customers), from the shared counter; absent: none known */
  promoUses?: Readonly<Record<string, number>>;
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
  /** values() without extras, made once per turn (see the constructor) */
  private readonly resolve: Resolve;
  /** {{cart.*}}, made when a text first asks for it */
  private cart: Record<string, unknown> | undefined;

  constructor(input: EngineInput, conv: Conversation) {
    this.input = input;
    this.bundle = input.bundle;
    this.now = input.now;
    this.event = input.event;
    this.conv = conv;
    this.contact = cloneData(input.contact);
    this.orders = input.orders.map((o) => cloneData(o));
    // assigned here rather than as a field initializer: tsx (keepNames) would wrap a
    // named arrow in a per-instance __name() call, which is measurable per message
    this.resolve = (name) => this.value(name);
  }

  get locale() {
    return this.contact.locale;
  }

  /**
   * What {{placeholders}} see: `extra`, then the customer's name and bonus, the shop,
   * the chosen product and category, the cart and lifecycle numbers, then variables.
   * Values are found when a text asks for them, so a text without placeholders costs
   * nothing and one with {{product.title}} does not format the cart.
   */
  values(extra?: TemplateScope): Resolve {
    if (!extra) return this.resolve;
    return (name) => (Object.hasOwn(extra, name) ? extra[name] : this.value(name));
  }

  private value(name: string): unknown {
    const { conv, contact } = this;
    switch (name) {
      case "name":
        return contact.name ?? "";
      case "bonus":
        return contact.bonusPoints;
      case "shop":
        return localeViews(this.bundle, this.locale).shop;
      case "product":
        return typeof conv.vars.product === "string" ? localeViews(this.bundle, this.locale).products.get(conv.vars.product) : undefined;
      case "category":
        return typeof conv.vars.category === "string" ? localeViews(this.bundle, this.locale).categories.get(conv.vars.category) : undefined;
      case "cart":
        return this.cartView();
      case "today":
        return todayView(this.bundle, this.locale, this.now);
      case "faq":
        return typeof conv.vars.faq === "string" ? { answer: faqText(this, conv.vars.faq) } : undefined;
      case "lifecycle": {
        const { lifecycle } = this.bundle.shop;
        return {
          join_bonus: lifecycle.joinBonus,
          referral_bonus: lifecycle.referralBonus,
          repeat_days: contact.orderIntervalDays ?? lifecycle.repeatAfterDays,
        };
      }
    }
    // a plain object's own keys, else what every object inherits (as a spread scope would)
    return Object.hasOwn(conv.vars, name) ? conv.vars[name] : NO_VALUES[name];
  }

  /**
   * {{cart.*}}: each part is worked out from the cart as it is when a text uses it,
   * so one view serves the whole turn.
   */
  cartContext(): CartContext {
    return {
      bundle: this.bundle,
      conv: this.conv,
      contact: this.contact,
      orders: this.orders,
      now: this.now,
      promoUses: this.input.promoUses ?? {},
      values: this.resolve,
    };
  }

  private cartView(): Record<string, unknown> {
    this.cart ??= cartView(this.cartContext());
    return this.cart;
  }

  /** the cart changed: {{cart.*}} is worked out again */
  cartChanged(): void {
    this.cart = undefined;
  }

  t(key: string, extra?: TemplateScope): string {
    return text(this.bundle, this.locale, key, this.values(extra));
  }

  /** said before the next message (the welcome folded into a first answer) */
  lead: string | undefined;

  say(message: OutboundMessage): void {
    if (this.lead) {
      message = { ...message, text: `${this.lead}\n\n${message.text}` };
      this.lead = undefined;
    }
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
    const { conv } = this;
    const id = this.input.newId("tp");
    const channel = more.channel ?? conv.channel;
    // the same keys in the same order as ever (step before summary), built without
    // spreading throwaway objects: a step writes several touchpoints
    const tp: Touchpoint = conv.step
      ? { id, at: this.now, contactId: this.contact.id, conversationKey: conv.key, channel, kind, flow: conv.flow, step: conv.step, summary }
      : { id, at: this.now, contactId: this.contact.id, conversationKey: conv.key, channel, kind, flow: conv.flow, summary };
    if (more.stage) tp.stage = more.stage;
    if (more.moment) tp.moment = more.moment;
    if (more.data) tp.data = more.data;
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
    if (this.contact.stage !== "churned" && STAGES.indexOf(stage) < STAGES.indexOf(this.contact.stage)) {
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

function faqText(turn: Turn, id: string): string {
  const q = turn.bundle.faq.questions.find((x) => x.id === id);
  return q ? fill(q.answer[turn.locale], turn.values()).trim() : "";
}
