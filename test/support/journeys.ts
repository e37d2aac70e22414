import type { Channel } from "../../src/model/channel.ts";
import type { Audience, StageKey } from "../../src/model/domain.ts";
import type { Harness, SeenReply } from "./harness.ts";

/**
 * A few hundred synthetic customers played through the real service (webhooks in,
 * replies read back at the fake platforms) on a test clock, over about three months.
 * The plan of each person is chosen here (channel, source, audience, where they stop,
 * orders, when their order is delivered, their scores); while playing, the script
 * notes what it did and when — the ground truth the report tests compute their
 * expected numbers from. Nothing here reads the store.
 */
export const MIN = 60_000;
export const HOUR = 60 * MIN;
export const DAY = 24 * HOUR;
/** flows/shop.yaml money: courier to the office 290 ₽, free from 2 500 ₽ (kopecks) */
const COURIER_FEE = 29_000;
const FREE_DELIVERY_FROM = 250_000;
/** long before the wall clock: "quiet for a day" is judged against the period */
export const T0 = Date.UTC(2025, 0, 6, 0, 0, 0);

export type Depth = "start" | "menu" | "catalogue" | "products" | "card" | "order";

export interface Plan {
  channel: Channel;
  /** deep-link source (src_<source>), or a friend's code (friend: true) */
  source?: string;
  friend?: boolean;
  audience: Audience;
  depth: Depth;
  /** day of the first contact, from T0 */
  day: number;
  /** a second order the same day (6 h later), or a month later */
  reorder?: "same_day" | "month";
  /** the one whose friends come with their code (default: a happy early customer) */
  referrer?: boolean;
  /** a third order 25 days after the second */
  third?: boolean;
  /** delivered the next day, then CSAT (and NPS, and an open answer when CSAT ≥ 4) */
  csat?: number;
  nps?: number;
  comment?: string;
}

export interface OrderNote {
  at: number;
  total: number;
}

/** what the script knows about one person */
export interface Person {
  n: number;
  user: string;
  plan: Plan;
  conversationKey: string;
  reached: Partial<Record<StageKey, number>>;
  /** "flow.step" where the bot spoke, in order */
  visits: { at: number; step: string }[];
  orders: OrderNote[];
  balance: number;
  moments: { at: number; moment: "good" | "bad" }[];
  feedback: { at: number; scale: "csat" | "nps" | "open"; score?: number; text?: string }[];
  /** the care case after a low score: opened, taken, first reply, handed back (by whom) */
  care?: { openedAt: number; by?: string; takenAt?: number; repliedAt?: number; backAt?: number };
  /** the last walk noted after an order (the referrer's invitation), where it ended */
  afterOrder?: { at: number; step: string };
  intervalDays?: number;
  lastOrderAt?: number;
}

export const PRODUCTS = [
  { title: "Шоколадный брауни", price: 14900 },
  { title: "Ванильный чизкейк", price: 14900 },
  { title: "Арахис и карамель", price: 15900 },
];

export function userOf(n: number, channel: Channel): string {
  if (channel === "web") return `truth${String(n).padStart(5, "0")}`;
  if (channel === "whatsapp") return `7917${String(n).padStart(7, "0")}`;
  return String(700_000 + n);
}

function texts(replies: SeenReply[]): string {
  return replies.map((r) => r.text).join("\n");
}

async function expectReply(replies: Promise<SeenReply[]>, text: string | RegExp): Promise<SeenReply[]> {
  const got = await replies;
  const all = texts(got);
  if (typeof text === "string" ? !all.includes(text) : !text.test(all)) throw new Error(`expected a reply with ${text}, got: ${JSON.stringify(all)}`);
  return got;
}

/** plays the plans; `timers` lists lifecycle stages the engine reaches by itself, marked when the clock passes them */
export class Journeys {
  readonly people: Person[] = [];
  private pending: { p: Person; at: number; stage: StageKey; when?: (p: Person) => boolean; token: number }[] = [];
  referralCode?: string;
  referrer?: Person;

  constructor(
    private readonly h: Harness,
    /** day 0 of the plans, 00:00 UTC */
    readonly t0 = T0,
  ) {
    h.clock.t = t0;
  }

  now(): number {
    return this.h.clock.now();
  }

  mark(p: Person, stage: StageKey, at = this.now()): void {
    p.reached[stage] ??= at;
  }

  private moment(p: Person, moment: "good" | "bad"): void {
    p.moments.push({ at: this.now(), moment });
    p.balance += moment === "good" ? 1 : -12;
  }

  private visit(p: Person, step: string): void {
    p.visits.push({ at: this.now(), step });
  }

  /** move the clock to `at` (never back), firing what became due, as the engine does */
  async until(at: number): Promise<void> {
    const now = this.now();
    if (at > now) await this.h.later(at - now);
    for (const t of [...this.pending]) {
      if (t.at > this.now()) continue;
      this.pending.splice(this.pending.indexOf(t), 1);
      if (t.token !== this.token(t.p)) continue; // replaced by a later order
      if (!t.when || t.when(t.p)) this.mark(t.p, t.stage);
    }
  }

  private token(p: Person): number {
    return p.orders.length;
  }

  add(plan: Plan): Person {
    const n = this.people.length + 1;
    const user = userOf(n, plan.channel);
    const p: Person = { n, user, plan, conversationKey: `${plan.channel}:${user}`, reached: {}, visits: [], orders: [], balance: 0, moments: [], feedback: [] };
    this.people.push(p);
    return p;
  }

  /** time passing within a scene: nothing is due in minutes, so no timer run and no poll */
  private pause(ms: number): void {
    this.h.clock.advance(ms);
  }

  /** a step for many people at the same instant, all at once */
  private async all(people: Person[], step: (p: Person) => Promise<void>): Promise<void> {
    for (let i = 0; i < people.length; i += 16) await Promise.all(people.slice(i, i + 16).map(step));
  }

  async walk(people: Person[]): Promise<void> {
    const { h } = this;
    const at = (d: Depth) => people.filter((p) => DEPTHS.indexOf(p.plan.depth) >= DEPTHS.indexOf(d));
    await this.all(people, async (p) => {
      const link = p.plan.friend ? `ref_${this.referralCode}` : p.plan.audience === "supplier" ? "aud_supplier" : p.plan.source ? `src_${p.plan.source}` : undefined;
      const replies = h.say(p.plan.channel, p.user, link ? { text: "/start", source: link } : { text: "/start" });
      await expectReply(replies, p.plan.audience === "supplier" ? /./ : "Здравствуйте!");
      // the web chat's conversation is its server-issued session
      if (p.plan.channel === "web") p.conversationKey = `web:${await h.platformUser("web", p.user)}`;
      this.mark(p, "awareness");
      if (p.plan.audience === "supplier") {
        this.visit(p, "supplier.start");
        return;
      }
      this.visit(p, "customer.welcome");
      if (p.plan.friend) this.mark(p, "engagement");
    });
    const partners = people.filter((p) => p.plan.audience === "partner");
    this.pause(4 * MIN);
    // the audience question is behind «Я не за покупкой»: partners, and customers who
    // want the menu rather than the popular products, go that way
    await this.all([...partners, ...at("menu").filter((p) => p.plan.audience === "customer")], async (p) => {
      await expectReply(h.tap(p.plan.channel, p.user, "Я не за покупкой"), /./);
      this.visit(p, "customer.audience");
    });
    await this.all(partners, async (p) => {
      await expectReply(h.tap(p.plan.channel, p.user, "Стать партнёром"), /./);
      this.visit(p, "partner.start");
    });
    const steps: [Depth, string, string | RegExp, string, StageKey][] = [
      ["menu", "Хочу купить", "Чем помочь?", "customer.menu", "interest"],
      ["catalogue", "Каталог", "Что посмотрим?", "customer.catalogue", "desire"],
      ["products", "Протеиновые батончики", "выберите, покажу подробнее", "customer.products", "research"],
    ];
    for (const [depth, label, reply, step, stage] of steps) {
      this.pause(3 * MIN);
      await this.all(at(depth).filter((p) => p.plan.audience === "customer"), async (p) => {
        await expectReply(h.tap(p.plan.channel, p.user, label), reply);
        this.visit(p, step);
        this.mark(p, stage);
      });
    }
    this.pause(5 * MIN);
    await this.all(at("card"), async (p) => {
      const name = PRODUCTS[p.n % PRODUCTS.length]!.title;
      await expectReply(h.tap(p.plan.channel, p.user, name), `${name} — `);
      this.visit(p, "customer.card");
      this.mark(p, "comparison");
    });
    this.pause(4 * MIN);
    await this.all(at("order"), (p) => this.checkout(p));
  }

  private async checkout(p: Person): Promise<void> {
    const { h } = this;
    const ch = p.plan.channel;
    // quantity and «в корзину» in one tap (6 or 12), or another number typed
    const qty = 6 + (p.n % 3) * 6;
    if (qty === 18) {
      await expectReply(h.tap(ch, p.user, "Другое количество"), "Сколько штук");
      await expectReply(h.say(ch, p.user, String(qty)), "Оформляем?");
    } else {
      await expectReply(h.tap(ch, p.user, `${qty} шт`), "Оформляем?");
    }
    await expectReply(h.tap(ch, p.user, "Оформить заказ"), "Как удобнее получить заказ?");
    await expectReply(h.tap(ch, p.user, "Курьер в офис"), "Напишите адрес");
    await expectReply(h.say(ch, p.user, `Лесная ул., ${p.n}, офис ${100 + p.n}`), "Телефон для связи");
    await expectReply(h.say(ch, p.user, `+7 916 100-${String(p.n).padStart(4, "0")}`), "Проверьте");
    await expectReply(h.tap(ch, p.user, "Заказать"), /Заказ №\S+ принят/);
    // the order's total is the goods and the courier's fee below the free-delivery threshold (shop.yaml money)
    const goods = PRODUCTS[p.n % PRODUCTS.length]!.price * qty;
    this.ordered(p, goods + (goods < FREE_DELIVERY_FROM ? COURIER_FEE : 0));
  }

  async reorder(people: Person[]): Promise<void> {
    const { h } = this;
    await this.all(people, async (p) => {
      await expectReply(h.say(p.plan.channel, p.user, "меню"), "Чем помочь?");
      await expectReply(h.tap(p.plan.channel, p.user, "Повторить заказ"), "Ваш прошлый заказ");
      await expectReply(h.tap(p.plan.channel, p.user, "Повторить"), /Заказ №\S+ принят/);
      this.ordered(p, p.orders[0]!.total);
    });
  }

  /** what an order means, as the engine's lifecycle does (src/engine/lifecycle.ts) */
  private ordered(p: Person, total: number): void {
    const at = this.now();
    p.orders.push({ at, total });
    p.lastOrderAt = at;
    this.mark(p, p.orders.length === 1 ? "action" : p.orders.length === 2 ? "repeat" : "loyalty");
    const gaps = p.orders.slice(1).map((o, i) => (o.at - p.orders[i]!.at) / DAY).filter((d) => d > 0.5);
    if (gaps.length > 0) p.intervalDays = Math.round(medianOf(gaps) * 10) / 10;
    const interval = (p.intervalDays ?? 12) * DAY;
    const token = this.token(p);
    this.pending.push({ p, at: at + interval * 1.75, stage: "curiosity", when: (x) => x.orders.length >= 2, token });
    this.pending.push({ p, at: at + 60 * DAY, stage: "churned", token });
    if (p.plan.friend && p.orders.length === 1 && this.referrer) {
      this.moment(p, "good"); // the friend's referral bonus
      this.moment(this.referrer, "good"); // the referrer's reward
      this.mark(this.referrer, "advocacy");
    }
  }

  /** the referrer opens «Пригласить друга» and reads the code off the link */
  async invite(p: Person): Promise<void> {
    const { h } = this;
    await expectReply(h.say(p.plan.channel, p.user, "меню"), "Чем помочь?");
    await expectReply(h.tap(p.plan.channel, p.user, "Бонусы и друзья"), "Бонусная программа");
    const replies = await expectReply(h.tap(p.plan.channel, p.user, "Пригласить друга"), "Ваша личная ссылка");
    const code = /start=ref_([A-Za-z0-9_-]+)/.exec(texts(replies))?.[1];
    if (!code) throw new Error(`no referral link in ${texts(replies)}`);
    this.referralCode = code;
    this.referrer = p;
    // «Бонусы и друзья» and the link are answers of the menu step: the chat rests there
    this.visit(p, "customer.menu");
    p.afterOrder = { at: this.now(), step: "customer.menu" };
  }

  /** staff mark the first order delivered; two hours later the feedback questions come */
  async deliver(people: Person[], orderIds: Map<string, string>): Promise<void> {
    const { h } = this;
    for (const p of people) {
      const id = orderIds.get(p.conversationKey);
      if (!id) throw new Error(`no order for ${p.conversationKey}`);
      const res = await h.staff("POST", `/api/orders/${id}/status`, { status: "delivered" });
      if (res.status !== 202) throw new Error(`delivered: ${res.status}`);
    }
  }

  async rate(people: Person[]): Promise<void> {
    const { h } = this;
    await this.all(people, async (p) => {
      const ch = p.plan.channel;
      const csat = p.plan.csat!;
      await h.say(ch, p.user, String(csat));
      p.feedback.push({ at: this.now(), scale: "csat", score: csat });
      if (csat <= 3) {
        this.moment(p, "bad");
        this.mark(p, "engagement");
        p.care = { openedAt: this.now() };
        return;
      }
      this.moment(p, "good");
      this.mark(p, "satisfaction");
      const nps = p.plan.nps!;
      await h.say(ch, p.user, String(nps));
      p.feedback.push({ at: this.now(), scale: "nps", score: nps });
      if (nps <= 6) {
        this.moment(p, "bad");
        this.mark(p, "engagement");
        p.care = { openedAt: this.now() };
        return;
      }
      if (nps >= 9) this.moment(p, "good");
      const comment = p.plan.comment ?? "Всё хорошо";
      await h.say(ch, p.user, comment);
      p.feedback.push({ at: this.now(), scale: "open", text: comment });
    });
  }

  /** the care queue: «Маша» takes low CSAT chats, answers, hands back; low NPS waits */
  async care(people: Person[]): Promise<void> {
    const { h } = this;
    const csatLow = people.filter((p) => p.care && (p.plan.csat ?? 5) <= 3);
    this.pause(7 * MIN);
    for (const p of csatLow) {
      await h.staff("POST", `/api/conversations/${p.conversationKey}/take`, { by: "Маша" });
      p.care!.by = "Маша";
      p.care!.takenAt = this.now();
    }
    this.pause(6 * MIN);
    for (const p of csatLow) {
      await h.staff("POST", `/api/conversations/${p.conversationKey}/reply`, { by: "Маша", text: "Простите нас! Привезём замену сегодня." });
      p.care!.repliedAt = this.now();
    }
    this.pause(40 * MIN);
    for (const p of csatLow) {
      await h.staff("POST", `/api/conversations/${p.conversationKey}/handback`, { by: "Маша" });
      p.care!.backAt = this.now();
      this.visit(p, "customer.menu"); // handback: a word, then the menu
    }
  }
}

export const DEPTHS: Depth[] = ["start", "menu", "catalogue", "products", "card", "order"];

export function medianOf(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}
