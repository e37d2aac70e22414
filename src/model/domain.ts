import type { Channel } from "./channel.ts";
import type { Choice } from "./outbound.ts";
import type { OrderStatusName } from "./inbound.ts";

/** Journey stages in order (BRIEF.md). `churned` is an exit, not a step. */
export const STAGES = [
  "awareness",
  "interest",
  "desire",
  "research",
  "comparison",
  "action",
  "engagement",
  "satisfaction",
  "repeat",
  "curiosity",
  "loyalty",
  "advocacy",
  "churned",
] as const;
export type StageKey = (typeof STAGES)[number];

export const STAGE_TITLES: Record<StageKey, { ru: string; en: string }> = {
  awareness: { ru: "Осознание", en: "Awareness" },
  interest: { ru: "Интерес", en: "Interest" },
  desire: { ru: "Желание", en: "Desire" },
  research: { ru: "Изучение", en: "Research" },
  comparison: { ru: "Сравнение", en: "Comparison" },
  action: { ru: "Действие", en: "Action" },
  engagement: { ru: "Вовлечение", en: "Engagement" },
  satisfaction: { ru: "Удовлетворение", en: "Satisfaction" },
  repeat: { ru: "Повторная сделка", en: "Repeat" },
  curiosity: { ru: "Любопытство", en: "Curiosity" },
  loyalty: { ru: "Лояльность", en: "Loyalty" },
  advocacy: { ru: "Рекомендации", en: "Advocacy" },
  churned: { ru: "Ушёл", en: "Churned" },
};

export const AUDIENCES = ["customer", "partner", "supplier", "jobseeker", "investor", "press"] as const;
export type Audience = (typeof AUDIENCES)[number];

export type Locale = "ru" | "en";

/** A good moment counts +1, a bad one −12 (Normann: one bad takes ~twelve good to repair). */
export const MOMENT_WEIGHT = { good: 1, bad: -12 } as const;
export type Moment = keyof typeof MOMENT_WEIGHT;

export interface Identity {
  channel: Channel;
  userId: string;
  reachable: boolean;
}

export interface Contact {
  id: string;
  name?: string;
  /** digits only, country code first */
  phone?: string;
  locale: Locale;
  audience: Audience;
  /** first-touch source (deep link, QR, referral, ad) */
  source?: string;
  /** contact id of who referred this one */
  referredBy?: string;
  /** code in this contact's own referral link */
  referralCode: string;
  identities: Identity[];
  /** first time each stage was reached, epoch ms */
  stagesReached: Partial<Record<StageKey, number>>;
  /** last stage reached */
  stage: StageKey;
  /** sum of moment weights */
  balance: number;
  /** consented to broadcasts */
  optIn: boolean;
  /** said "stop": no reminders or offers until they write again */
  optedOut?: boolean;
  bonusPoints: number;
  bonusMember: boolean;
  orderCount: number;
  lastOrderAt?: number;
  /** median days between this contact's orders, once there are two */
  orderIntervalDays?: number;
  createdAt: number;
  updatedAt: number;
  /** set when this contact was merged into another (same phone on two channels) */
  mergedInto?: string;
}

export interface CartLine {
  productId: string;
  title: string;
  qty: number;
  /** price per unit in minor units (kopecks) */
  price: number;
}

export interface Order {
  id: string;
  /** human-facing short number */
  number: string;
  contactId: string;
  conversationKey: string;
  channel: Channel;
  audience: Audience;
  lines: CartLine[];
  /** what the customer pays, kopecks: totals.total when the order has totals */
  total: number;
  /** every figure of the order, computed once (src/engine/money), kopecks */
  totals?: OrderTotals;
  /** paid online (Telegram payments, a provider's link); refunds noted by staff */
  payment?: OrderPayment;
  delivery: string;
  address?: string;
  phone?: string;
  status: OrderStatusName;
  createdAt: number;
  updatedAt: number;
}

export interface OrderTotals {
  /** goods at their prices */
  goods: number;
  /** promo code discount */
  promo: number;
  promoCode?: string;
  /** bonus points spent (1 point = 1 ₽ = 100 kopecks) */
  points: number;
  /** courier fee (0 when free) */
  delivery: number;
  /** goods − promo − points + delivery */
  total: number;
  /** bonus points this order earns */
  earned: number;
}

export interface OrderPayment {
  method: "on_delivery" | "online";
  status: "pending" | "paid" | "refunded";
  provider?: string;
  /** the provider's charge id (Telegram: telegram_payment_charge_id) */
  chargeId?: string;
  paidAt?: number;
  refundedAt?: number;
  refundNote?: string;
}

/** A pending question: what the next customer message is taken as. */
export interface Awaiting {
  step: string;
  kind: "text" | "number" | "phone" | "email" | "choice";
  choices?: Choice[];
  /** the choices went out as numbered text: a bare digit picks one */
  numbered?: boolean;
  failures: number;
}

export interface TimerState {
  at: number;
  token: string;
  /** step to go to when it fires (flow follow-ups) or a lifecycle event name */
  target: string;
}

export interface Handoff {
  queue: string;
  reason: string;
  since: number;
  assignee?: string;
  /** step to resume at when handed back */
  resumeStep?: string;
  /** the customer's messages while waiting were acknowledged (once per handoff) */
  acknowledged?: boolean;
}

export interface Conversation {
  key: string;
  channel: Channel;
  chatId: string;
  contactId: string;
  flow: string;
  /** current step; null when the flow has ended */
  step: string | null;
  awaiting: Awaiting | null;
  vars: Record<string, string | number | boolean>;
  cart: CartLine[];
  handoff: Handoff | null;
  /** follow-ups and lifecycle reminders, by name */
  timers: Record<string, TimerState>;
  lastInboundAt: number | null;
  hints: Record<string, string | number | boolean>;
  /** next outbox seq */
  outSeq: number;
  createdAt: number;
  updatedAt: number;
}

export const TOUCHPOINT_KINDS = [
  "message_in",
  "message_out",
  "button",
  "stage",
  "order",
  "order_status",
  "feedback",
  "handoff",
  "note",
  "offline",
  "delivery_status",
  "optin",
] as const;
export type TouchpointKind = (typeof TOUCHPOINT_KINDS)[number];

export interface Touchpoint {
  id: string;
  at: number;
  contactId: string;
  conversationKey?: string;
  /** "offline" for store visits, calls, couriers logged by staff */
  channel: Channel | "offline";
  kind: TouchpointKind;
  flow?: string;
  step?: string;
  stage?: StageKey;
  moment?: Moment;
  /** short human-readable line for the inbox and the journey view */
  summary: string;
  data?: Record<string, unknown>;
}

export type FeedbackScale = "csat" | "nps" | "open";
