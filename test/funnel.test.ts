import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { funnelReport, type FunnelReport } from "../src/analytics/funnel.ts";
import type { Channel } from "../src/model/channel.ts";
import { STAGES, type Audience, type StageKey } from "../src/model/domain.ts";
import { startHarness, type Harness, type SeenReply } from "./support/harness.ts";

/**
 * The funnel report over a scripted set of customers gives the numbers this test
 * computed on its own. Each customer is driven through the real service (webhooks in,
 * replies out) on a test clock; the script notes, from what it did, when each
 * customer first reached each stage and where their conversation stopped. The
 * expected report is computed from those notes only — never from the store.
 */

const ROOT = join(import.meta.dirname, "..");
const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
/** well before the wall clock, so "idle for a day" (drop-off) is judged against `to` */
const T0 = Date.UTC(2025, 2, 3, 8, 0, 0);

type Depth = "start" | "menu" | "catalogue" | "products" | "card" | "order" | "order2";

/** what the script knows about one person */
interface Person {
  n: number;
  channel: Channel;
  user: string;
  audience: Audience;
  source?: string;
  reached: Partial<Record<StageKey, number>>;
  /** the customer-flow step the conversation waits at (null: flow ended) */
  step: string | null;
  orders: number;
  referralCode?: string;
}

let h: Harness;
let closed = false;
let dataDir: string;
const people: Person[] = [];
let from = 0;
let to = 0;
let midpoint = 0;

function person(n: number, channel: Channel, source?: string): Person {
  const user = channel === "web" ? `funnel${String(n).padStart(4, "0")}` : channel === "whatsapp" ? `7916555${String(n).padStart(4, "0")}` : String(600_000 + n);
  const p: Person = { n, channel, user, audience: "customer", ...(source ? { source } : {}), reached: {}, step: null, orders: 0 };
  people.push(p);
  return p;
}

/** the first time counts, as in the brief's funnel */
function mark(p: Person, stage: StageKey): void {
  p.reached[stage] ??= h.clock.now();
}

function texts(replies: SeenReply[]): string {
  return replies.map((r) => r.text).join("\n");
}

async function expectReply(replies: SeenReply[] | Promise<SeenReply[]>, text: string | RegExp): Promise<SeenReply[]> {
  const got = await replies;
  const all = texts(got);
  if (typeof text === "string" ? !all.includes(text) : !text.test(all)) throw new Error(`expected a reply with ${text}, got: ${JSON.stringify(all)}`);
  return got;
}

/** a varied pause per person and step, so medians are not all the same number */
function gap(p: Person, k: number): number {
  return (((p.n * 7 + k * 11) % 23) + 1) * MIN;
}

// ---- what a person does, and what the script learns from it ---------------------

async function start(p: Person, deepLink?: string): Promise<void> {
  const link = deepLink ?? (p.source ? `src_${p.source}` : undefined);
  await expectReply(h.say(p.channel, p.user, link ? { text: "/start", source: link } : { text: "/start" }), "Здравствуйте!");
  mark(p, "awareness");
  if (deepLink?.startsWith("ref_")) mark(p, "engagement"); // a friend's recommendation starts at engagement
  p.step = "welcome";
}

async function buy(p: Person): Promise<void> {
  await h.later(gap(p, 1));
  await expectReply(h.say(p.channel, p.user, "меню"), "Чем помочь?");
  mark(p, "interest");
  p.step = "menu";
}

async function catalogue(p: Person): Promise<void> {
  await h.later(gap(p, 2));
  await expectReply(h.tap(p.channel, p.user, "Каталог"), "Что посмотрим?");
  mark(p, "desire");
  p.step = "catalogue";
}

async function category(p: Person): Promise<void> {
  await h.later(gap(p, 3));
  await expectReply(h.tap(p.channel, p.user, "Протеиновые батончики"), "выберите, покажу подробнее");
  mark(p, "research");
  p.step = "products";
}

const PRODUCTS = ["Шоколадный брауни", "Ванильный чизкейк", "Арахис и карамель"];

async function product(p: Person): Promise<void> {
  await h.later(gap(p, 4));
  const name = PRODUCTS[p.n % PRODUCTS.length]!;
  await expectReply(h.tap(p.channel, p.user, name), `${name} — `);
  mark(p, "comparison");
  p.step = "card";
}

function onOrder(p: Person): void {
  p.orders++;
  mark(p, p.orders === 1 ? "action" : p.orders === 2 ? "repeat" : "loyalty");
  p.step = null;
}

async function order(p: Person): Promise<void> {
  await h.later(gap(p, 5));
  await expectReply(h.tap(p.channel, p.user, "Другое количество"), "Сколько штук");
  await expectReply(h.say(p.channel, p.user, String(6 + (p.n % 3) * 6)), "Оформляем?");
  await h.later(2 * MIN);
  await expectReply(h.tap(p.channel, p.user, "Оформить заказ"), "Как удобнее получить заказ?");
  await expectReply(h.tap(p.channel, p.user, "Курьер в офис"), "Напишите адрес");
  await expectReply(h.say(p.channel, p.user, `Лесная ул., ${p.n}, офис ${100 + p.n}`), "Телефон для связи");
  // a phone of their own: one number on two chats would merge the two contacts
  await expectReply(h.say(p.channel, p.user, { phone: `+7 916 000-${String(p.n).padStart(4, "0")}` }), "Всё верно?");
  await h.later(MIN);
  await expectReply(h.tap(p.channel, p.user, "Заказать"), /Заказ №\S+ принят/);
  onOrder(p);
}

async function reorder(p: Person): Promise<void> {
  // within half a day, so no buying interval is learnt yet: reminders stay 12 days out,
  // beyond the script (a learnt interval would bring «curiosity» in — another test's story)
  await h.later(6 * HOUR + gap(p, 6));
  await expectReply(h.say(p.channel, p.user, "меню"), "Чем помочь?");
  await expectReply(h.tap(p.channel, p.user, "Повторить заказ"), "Ваш прошлый заказ");
  await expectReply(h.tap(p.channel, p.user, "Повторить"), /Заказ №\S+ принят/);
  onOrder(p);
}

/** opens «Бонусы и друзья» → «Пригласить друга» and reads the code off the link */
async function invite(p: Person): Promise<string> {
  await h.later(gap(p, 7));
  await expectReply(h.say(p.channel, p.user, "меню"), "Чем помочь?");
  await expectReply(h.tap(p.channel, p.user, "Бонусы и друзья"), "Бонусная программа");
  const replies = await expectReply(h.tap(p.channel, p.user, "Пригласить друга"), "Ваша личная ссылка");
  const code = /start=ref_([A-Za-z0-9_-]+)/.exec(texts(replies))?.[1];
  if (!code) throw new Error(`no referral link in ${texts(replies)}`);
  p.step = null;
  return code;
}

async function walk(p: Person, depth: Depth): Promise<void> {
  await start(p);
  if (depth === "start") return;
  await buy(p);
  if (depth === "menu") return;
  await catalogue(p);
  if (depth === "catalogue") return;
  await category(p);
  if (depth === "products") return;
  await product(p);
  if (depth === "card") return;
  await order(p);
  if (depth === "order") return;
  await reorder(p);
}

// ---- the expected report, from the script's notes --------------------------------

function medianOf(xs: number[]): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

interface Expected {
  rows: { stage: StageKey; reached: number; conversion: number | null; medianMsFromPrevious: number | null }[];
  sources: { source: string; contacts: number; ordered: number }[];
  dropOff: { flow: string; step: string; count: number }[];
}

function expected(who: Person[], lo: number, hi: number): Expected {
  const at = (p: Person, s: StageKey) => {
    const t = p.reached[s];
    return t !== undefined && t >= lo && t < hi ? t : undefined;
  };
  const steps = STAGES.filter((s) => s !== "churned");
  const rows = steps.map((stage, i) => {
    const here = who.filter((p) => at(p, stage) !== undefined);
    const prev = i > 0 ? steps[i - 1]! : undefined;
    const before = prev ? who.filter((p) => at(p, prev) !== undefined) : [];
    const gaps = prev
      ? here.filter((p) => at(p, prev) !== undefined && at(p, stage)! >= at(p, prev)!).map((p) => at(p, stage)! - at(p, prev)!)
      : [];
    return {
      stage,
      reached: here.length,
      conversion: prev && before.length > 0 ? here.length / before.length : null,
      medianMsFromPrevious: medianOf(gaps),
    };
  });
  const sources = new Map<string, { contacts: number; ordered: number }>();
  for (const p of who) {
    if (!steps.some((s) => at(p, s) !== undefined)) continue;
    const key = p.source ?? "direct";
    const s = sources.get(key) ?? { contacts: 0, ordered: 0 };
    s.contacts++;
    if (at(p, "action") !== undefined) s.ordered++;
    sources.set(key, s);
  }
  const stalled = new Map<string, number>();
  for (const p of who) if (p.step !== null) stalled.set(p.step, (stalled.get(p.step) ?? 0) + 1);
  return {
    rows,
    sources: [...sources].map(([source, v]) => ({ source, ...v })),
    dropOff: [...stalled].map(([step, count]) => ({ flow: "customer", step, count })),
  };
}

const bySource = (a: { source: string }, b: { source: string }) => a.source.localeCompare(b.source);
const byStep = (a: { flow: string; step: string }, b: { flow: string; step: string }) => `${a.flow}.${a.step}`.localeCompare(`${b.flow}.${b.step}`);

function expectMatches(report: FunnelReport, exp: Expected): void {
  expect(report.rows.map((r) => [r.stage, r.reached])).toEqual(exp.rows.map((r) => [r.stage, r.reached]));
  for (const [i, row] of report.rows.entries()) {
    const want = exp.rows[i]!;
    if (want.conversion === null) expect(row.conversion, row.stage).toBeNull();
    else expect(row.conversion, row.stage).toBeCloseTo(want.conversion, 10);
    expect(row.medianMsFromPrevious, row.stage).toBe(want.medianMsFromPrevious);
  }
  expect([...report.sources].sort(bySource)).toEqual([...exp.sources].sort(bySource));
}

// ---- the script ------------------------------------------------------------------

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "frontdesk-funnel-"));
  h = await startHarness({ dataDir });
  h.clock.t = T0;
  from = T0 - HOUR;

  // Who stops where (customer audience). Most stall at the product card.
  const plan: [Depth, Channel, string?][] = [
    ["start", "telegram", "gym_flyer"],
    ["start", "vk", "vk_ads"],
    ["start", "whatsapp", "gym_flyer"],
    ["start", "web"],
    ["start", "web"],
    ["menu", "web", "gym_flyer"],
    ["menu", "web", "vk_ads"],
    ["menu", "web"],
    ["catalogue", "web", "vk_ads"],
    ["catalogue", "web"],
    ["catalogue", "web", "gym_flyer"],
    ["catalogue", "web"],
    ["products", "web"],
    ["products", "web", "vk_ads"],
    ["products", "web"],
    ["card", "web", "gym_flyer"],
    ["card", "web", "gym_flyer"],
    ["card", "web", "vk_ads"],
    ["card", "web", "vk_ads"],
    ["card", "web"],
    ["card", "web"],
    ["card", "web"],
    ["order", "web", "gym_flyer"],
    ["order", "web", "vk_ads"],
    ["order", "web"],
    ["order", "web", "gym_flyer"],
    ["order", "web"],
    ["order2", "web", "gym_flyer"],
    ["order2", "web", "vk_ads"],
    ["order2", "web"],
  ];
  for (const [i, [depth, channel, source]] of plan.entries()) {
    if (i === 15) midpoint = h.clock.now() + 1;
    await h.later(13 * MIN);
    await walk(person(i + 1, channel, source), depth);
  }

  // A customer who ordered invites two friends: one orders, one stops at the menu.
  const referrer = people.find((p) => p.orders === 1)!;
  const code = await invite(referrer);
  referrer.referralCode = code;
  const friend = person(101, "web");
  friend.source = `ref_${code}`;
  await h.later(HOUR);
  await start(friend, `ref_${code}`);
  await buy(friend);
  await catalogue(friend);
  await category(friend);
  await product(friend);
  await order(friend);
  mark(referrer, "advocacy"); // rewarded when the friend's first order is placed
  referrer.step = "menu"; // the thank-you message leads back to the menu
  const idle = person(102, "web");
  idle.source = `ref_${code}`;
  await h.later(HOUR);
  await start(idle, `ref_${code}`);
  await buy(idle);

  // Other audiences: their own funnels, never the customers'.
  const partner = person(201, "web");
  await h.later(20 * MIN);
  await start(partner);
  await h.later(5 * MIN);
  await expectReply(h.tap("web", partner.user, "Я не за покупкой"), "С чем вы к нам?");
  await expectReply(h.tap("web", partner.user, "Стать партнёром"), /./);
  partner.audience = "partner";
  partner.step = null;
  const partner2 = person(202, "telegram");
  await h.later(20 * MIN);
  // t.me/<bot>?start=aud_partner: no greeting, straight into the partner flow
  await expectReply(h.say("telegram", partner2.user, { text: "/start", source: "aud_partner" }), /./);
  mark(partner2, "awareness");
  partner2.audience = "partner";
  const supplier = person(203, "web");
  await h.later(20 * MIN);
  await expectReply(h.say("web", supplier.user, { source: "aud_supplier" }), /./);
  mark(supplier, "awareness");
  supplier.audience = "supplier";

  await h.later(HOUR);
  to = h.clock.now() + 2 * DAY;
  // the owner reads the report after the period: drop-off is "idle for a day before `to`"
  h.clock.t = to + DAY;
}, 60_000);

afterAll(async () => {
  if (h && !closed) await h.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

const customers = () => people.filter((p) => p.audience === "customer");

describe("the funnel over ~30 scripted customers", () => {
  it("counts, converts and times each stage as the script says (customer audience)", async () => {
    const exp = expected(customers(), from, to);
    // the script is what it claims to be
    expect(customers().length).toBeGreaterThanOrEqual(30);
    expect(exp.rows.find((r) => r.stage === "awareness")?.reached).toBe(customers().length);
    expect(exp.rows.find((r) => r.stage === "repeat")?.reached).toBe(3);
    expect(exp.rows.find((r) => r.stage === "advocacy")?.reached).toBe(1);

    const report = await funnelReport(h.store, from, to, "customer", h.clock.now());
    expect(report.audience).toBe("customer");
    expectMatches(report, exp);
    expect(report.churned).toBe(0);
    // spot checks in plain numbers, so a reader can see the shape
    const row = (s: StageKey) => report.rows.find((r) => r.stage === s)!;
    expect(row("awareness").reached).toBe(32);
    expect(row("interest").reached).toBe(27); // 5 stopped at the greeting
    expect(row("comparison").reached).toBe(16);
    expect(row("action").reached).toBe(9);
    expect(row("engagement").reached).toBe(2); // the two referred friends
    expect(row("action").conversion).toBeCloseTo(9 / 16, 10);
    expect(row("comparison").medianMsFromPrevious).toBeGreaterThan(0);
  });

  it("names the sources: who came from the gym flyer and how many of them ordered", async () => {
    const report = await funnelReport(h.store, from, to, "customer", h.clock.now());
    const gym = customers().filter((p) => p.source === "gym_flyer");
    expect(report.sources.find((s) => s.source === "gym_flyer")).toEqual({
      source: "gym_flyer",
      contacts: gym.length,
      ordered: gym.filter((p) => p.orders > 0).length,
    });
    expect(gym.length).toBe(9);
    expect(gym.filter((p) => p.orders > 0).length).toBe(3);
    expect(report.sources.find((s) => s.source === "vk_ads")?.contacts).toBe(8);
    expect(report.sources.find((s) => s.source.startsWith("ref_"))).toEqual({ source: expect.stringMatching(/^ref_/), contacts: 2, ordered: 1 });
  });

  it("shows where the stalled customers stopped, the product card first", async () => {
    const report = await funnelReport(h.store, from, to, "customer", h.clock.now());
    const exp = expected(customers(), from, to);
    expect([...report.dropOff].sort(byStep)).toEqual([...exp.dropOff].sort(byStep));
    expect(report.dropOff[0]).toEqual({ flow: "customer", step: "card", count: 7 });
  });

  it("keeps partners and suppliers out of the customer funnel, and in the all-audience one", async () => {
    const others = people.filter((p) => p.audience !== "customer");
    expect(others.map((p) => p.audience).sort()).toEqual(["partner", "partner", "supplier"]);
    const customerReport = await funnelReport(h.store, from, to, "customer", h.clock.now());
    const all = await funnelReport(h.store, from, to, undefined, h.clock.now());
    expect(all.rows[0]!.reached).toBe(customerReport.rows[0]!.reached + others.length);
    const partners = await funnelReport(h.store, from, to, "partner", h.clock.now());
    expect(partners.rows[0]!.reached).toBe(2);
    expect(partners.rows.slice(1).every((r) => r.reached === 0)).toBe(true);
    // no partner's conversation is a customer drop-off
    expect(customerReport.dropOff.every((d) => d.flow === "customer")).toBe(true);
  });

  it("counts only what happened inside the period", async () => {
    const report = await funnelReport(h.store, midpoint, to, "customer", h.clock.now());
    const exp = expected(customers(), midpoint, to);
    expectMatches(report, exp);
    expect(report.rows[0]!.reached).toBeLessThan(customers().length);
  });

  it("gives the same report over the staff API and from the CLI", async () => {
    const direct = await funnelReport(h.store, from, to, "customer", h.clock.now());
    const api = await h.staff("GET", `/api/report/funnel?from=${from}&to=${to}&audience=customer`);
    expect(api.status).toBe(200);
    // the route adds the period before beside it (test/reports.truth.test.ts checks it)
    const { previous, ...today } = api.json as FunnelReport & { previous: unknown };
    expect(previous).toBeDefined();
    expect(today).toEqual(direct);
    expectMatches(api.json as FunnelReport, expected(customers(), from, to));

    const iso = (t: number) => new Date(t).toISOString();
    const apiIso = await h.staff("GET", `/api/report/funnel?from=${encodeURIComponent(iso(from))}&to=${encodeURIComponent(iso(to))}&audience=customer`);
    expect({ ...(apiIso.json as object), previous: undefined }).toEqual({ ...direct, previous: undefined });

    // The CLI reads the same DATA_DIR once the service has let go of it.
    await h.close();
    closed = true;
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ["bin/frontdesk.js", "report", "funnel", "--from", String(from), "--to", String(to), "--audience", "customer", "--json"],
      { cwd: ROOT, env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", DATA_DIR: dataDir, LOG_LEVEL: "silent" }, timeout: 20_000 },
    );
    const cli = JSON.parse(stdout) as FunnelReport;
    expect(cli).toEqual(direct);
    expectMatches(cli, expected(customers(), from, to));
  });
});
