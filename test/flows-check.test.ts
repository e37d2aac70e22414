import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { Channel } from "../src/model/channel.ts";
import type { Contact, Conversation, Order } from "../src/model/domain.ts";
import type { InboundEvent, InboundMessage, InboundSystem } from "../src/model/inbound.ts";
import type { OutboundMessage } from "../src/model/outbound.ts";
import { loadBundleUnchecked, type Bundle, type BundleProblem } from "../src/engine/bundle.ts";
import { checkBundle, ENGINE_TEXTS } from "../src/engine/check.ts";
import { step } from "../src/engine/engine.ts";
import { makeContact } from "./store-fixtures.ts";

/**
 * The default shop in flows/ is proven sound by the same checks `frontdesk flows check`
 * runs; the broken fixture proves the checks catch each kind of fault; and the story in
 * STORY.md replays on the default shop through the real engine.
 */

const root = join(import.meta.dirname, "..");
const FLOWS = join(root, "flows");
const BROKEN = join(root, "test", "fixtures", "broken-flows");

async function loadDefault(): Promise<Bundle> {
  const { bundle, problems } = await loadBundleUnchecked(FLOWS);
  expect(problems).toEqual([]);
  return bundle!;
}

function has(problems: BundleProblem[], fileEnd: string, path: string, message: string): void {
  const hit = problems.find((p) => p.file.endsWith(fileEnd) && p.path === path && p.message.includes(message));
  expect(hit, `expected ${fileEnd} at ${path}: …${message}… in\n${JSON.stringify(problems, null, 2)}`).toBeDefined();
}

describe("flows/ (the default shop)", () => {
  it("loads and passes every structural check", async () => {
    const bundle = await loadDefault();
    expect(checkBundle(bundle)).toEqual([]);
  });

  it("has the engine's own texts in both locales, and the same keys in both", async () => {
    const bundle = await loadDefault();
    for (const key of ENGINE_TEXTS) {
      expect(bundle.locales.ru[key], key).toBeTruthy();
      expect(bundle.locales.en[key], key).toBeTruthy();
    }
    expect(Object.keys(bundle.locales.en).sort()).toEqual(Object.keys(bundle.locales.ru).sort());
    expect(bundle.locales.ru["engine.staff_joined"]).toContain("{{staff}}");
    for (const l of ["ru", "en"] as const) {
      expect(bundle.locales[l]["engine.order_status"]).toContain("{{order.number}}");
      expect(bundle.locales[l]["engine.order_status"]).toContain("{{order.status}}");
      // a WhatsApp list button label
      expect([...bundle.locales[l]["engine.choose_from_list"]!].length).toBeLessThanOrEqual(20);
    }
  });

  it("routes every audience to its own flow and queue", async () => {
    const bundle = await loadDefault();
    const { shop } = bundle;
    for (const [key, audience] of [
      ["partner", "partner"],
      ["supplier", "supplier"],
      ["job", "jobseeker"],
      ["investor", "investor"],
      ["press", "press"],
    ] as const) {
      const route = shop.deepLinks.audiences[key]!;
      expect(route.audience).toBe(audience);
      const flow = bundle.flows.get(route.next.split(".")[0]!)!;
      expect(flow.audience).toBe(audience);
      // the contact is re-labelled before anything else, so the customer funnel stays clean
      const first = flow.steps[flow.start]!;
      expect(first).toMatchObject({ kind: "account", action: "set_audience", audience });
      const queues = Object.values(flow.steps).flatMap((s) => (s.kind === "handoff" ? [s.queue] : []));
      expect(queues.length).toBeGreaterThan(0);
      expect(queues.every((q) => q !== "sales" && q !== "customers")).toBe(true);
    }
    for (const q of ["customers", "sales", "care", "partners", "suppliers", "hr", "investors", "press"]) {
      expect(shop.queues[q], q).toBeDefined();
    }
  });
});

describe("ids and labels fit the messengers", () => {
  it("every product and category id fits Telegram callback data (64 bytes)", async () => {
    const { catalogue } = await loadDefault();
    expect(catalogue.products.length).toBeGreaterThanOrEqual(8);
    for (const id of [...catalogue.products.map((p) => p.id), ...catalogue.categories.map((c) => c.id)]) {
      expect(Buffer.byteLength(id, "utf8"), id).toBeLessThanOrEqual(64);
    }
  });

  it("every option id is at most 40 characters (the schema enforces it)", async () => {
    const bundle = await loadDefault();
    for (const flow of bundle.flows.values()) {
      for (const [name, s] of Object.entries(flow.steps)) {
        if (!("options" in s)) continue;
        for (const o of s.options) expect(o.id.length, `${flow.id}.${name}: ${o.id}`).toBeLessThanOrEqual(40);
      }
    }
    const { problems } = await loadBundleUnchecked(join(BROKEN, "schema"));
    has(problems, "shop.flow.yaml", "steps.menu.options.0.id", "1-40 chars");
  });

  it("labels fit WhatsApp: ≤ 20 chars as reply buttons (≤ 3 options), ≤ 24 as list rows", async () => {
    const bundle = await loadDefault();
    const len = (s: string) => [...s].length;
    for (const flow of bundle.flows.values()) {
      for (const [name, s] of Object.entries(flow.steps)) {
        if (s.kind !== "choose" && s.kind !== "pick") continue;
        const asButtons = s.kind === "choose" && s.options.length <= 3;
        for (const o of s.options) {
          for (const l of ["ru", "en"] as const) {
            // a templated label measured with a three-digit value in it («Списать 999 баллов»)
            const label = bundle.locales[l][o.label]!.replace(/\{\{[^}]+\}\}/g, "999");
            expect(len(label), `${flow.id}.${name} ${l}: "${label}"`).toBeLessThanOrEqual(asButtons ? 20 : 24);
          }
        }
        if (s.listLabel) for (const l of ["ru", "en"] as const) expect(len(bundle.locales[l][s.listLabel]!)).toBeLessThanOrEqual(20);
      }
    }
    // products and categories are list rows too
    for (const item of [...bundle.catalogue.products, ...bundle.catalogue.categories]) {
      for (const l of ["ru", "en"] as const) expect(len(item.title[l]), item.id).toBeLessThanOrEqual(24);
    }
    for (const key of ["engine.person_option", "engine.menu_option", "engine.share_phone"]) {
      for (const l of ["ru", "en"] as const) expect(len(bundle.locales[l][key]!), key).toBeLessThanOrEqual(20);
    }
  });
});

describe("the broken fixture: every planted fault is reported with its file and step", () => {
  it("graph faults", async () => {
    const { bundle, problems } = await loadBundleUnchecked(join(BROKEN, "graph"));
    expect(problems).toEqual([]);
    const found = checkBundle(bundle!);
    has(found, "shop.flow.yaml", "steps.hours", "dead end: says something and stops");
    has(found, "shop.flow.yaml", "steps.loop_a", "dead end");
    has(found, "shop.flow.yaml", "steps.loop_b", "dead end");
    has(found, "shop.flow.yaml", "steps.orphan", "unreachable");
    has(found, "shop.flow.yaml", "steps.lost", '"nowhere", which does not exist');
    has(found, "shop.flow.yaml", "steps.browse", 'text "browse.only_ru" is missing in en');
    has(found, "locales/en.yaml", "browse.only_ru", "missing translation (present in ru)");
    // and nothing else: the healthy steps are not blamed
    const blamed = new Set(found.map((p) => p.path));
    for (const ok of ["steps.menu", "steps.person", "steps.done"]) expect(blamed.has(ok), ok).toBe(false);
  });

  it("an unknown stage is a schema error at its path", async () => {
    const { bundle, problems } = await loadBundleUnchecked(join(BROKEN, "schema"));
    expect(bundle).toBeUndefined();
    has(problems, "shop.flow.yaml", "steps.menu.stage", "Invalid option");
    const stage = problems.find((p) => p.path === "steps.menu.stage")!;
    expect(stage.message).toContain('"awareness"');
  });
});

// ---------------------------------------------------------------------------------
// The story (STORY.md) on the default shop, through the real engine.

const HOUR = 3_600_000;


class Shop {
  contacts = new Map<string, Contact>();
  conversations = new Map<string, Conversation>();
  orders = new Map<string, Order[]>();
  now = Date.UTC(2025, 2, 3, 9, 0);
  private seq = 0;
  /** what the referrer was told when a friend's first order rewarded them */
  rewarded: OutboundMessage[] = [];
  constructor(readonly bundle: Bundle) {}

  contact(id: string, referralCode: string): Contact {
    const c = makeContact({ id, referralCode, createdAt: this.now, updatedAt: this.now });
    this.contacts.set(id, c);
    return c;
  }

  private run(contactId: string, event: InboundEvent): OutboundMessage[] {
    const key = `${event.channel}:${event.chatId}`;
    const contact = this.contacts.get(contactId)!;
    const referralCode = event.type === "message" && /^ref_(\w+)$/.exec(event.source ?? "")?.[1];
    const referrer = referralCode ? ([...this.contacts.values()].find((c) => c.referralCode === referralCode) ?? null) : null;
    const res = step({
      bundle: this.bundle,
      event,
      now: this.now,
      conversation: this.conversations.get(key) ?? null,
      contact,
      orders: this.orders.get(contactId) ?? [],
      referrer,
      newId: (p) => `${p}${(++this.seq).toString(36).padStart(6, "0")}`,
      links: (_channel, payload) => `https://t.me/fitsnack_bot?start=${payload}`,
    });
    this.conversations.set(key, res.conversation);
    this.contacts.set(contactId, res.contact);
    const mine = this.orders.get(contactId) ?? [];
    for (const o of res.orders) {
      const i = mine.findIndex((x) => x.id === o.id);
      if (i >= 0) mine[i] = o;
      else mine.unshift(o);
    }
    this.orders.set(contactId, mine);
    for (const r of res.rewards) {
      // the referrer's most recent chat hears about it
      const conv = [...this.conversations.values()].filter((c) => c.contactId === r.referrerId).sort((a, b) => b.updatedAt - a.updatedAt)[0]!;
      this.rewarded = this.system(r.referrerId, conv.channel, conv.chatId, { kind: "referral_reward", friendName: r.friendName, bonus: r.bonus, orderId: r.orderId });
    }
    return res.outbound;
  }

  say(contactId: string, channel: Channel, chatId: string, msg: Partial<InboundMessage>): OutboundMessage[] {
    this.now += 60_000;
    const id = `m${++this.seq}`;
    return this.run(contactId, { type: "message", channel, chatId, userId: chatId, dedupeKey: id, platformMessageId: id, at: this.now, ...msg });
  }

  system(contactId: string, channel: Channel, chatId: string, event: InboundSystem["event"]): OutboundMessage[] {
    return this.run(contactId, { type: "system", channel, chatId, userId: chatId, dedupeKey: `s${++this.seq}`, at: this.now, event });
  }

  /** Jump to when the named timer is due and fire it. */
  fire(contactId: string, channel: Channel, chatId: string, name: string): OutboundMessage[] {
    const timer = this.conversations.get(`${channel}:${chatId}`)?.timers[name];
    expect(timer, `timer ${name}`).toBeDefined();
    this.now = Math.max(this.now, timer!.at);
    return this.run(contactId, { type: "timer", channel, chatId, userId: chatId, dedupeKey: `t${++this.seq}`, at: this.now, name, token: timer!.token });
  }

  conv(channel: Channel, chatId: string): Conversation {
    return this.conversations.get(`${channel}:${chatId}`)!;
  }
}

const last = (out: OutboundMessage[]) => out[out.length - 1]!;
const ids = (out: OutboundMessage[]) => (last(out).choices ?? []).map((c) => c.id);
const all = (out: OutboundMessage[]) => out.map((m) => m.text).join("\n---\n");

describe("the story replays on the default shop", () => {
  it("Аристарх: from a gym flyer to a loyal customer who brings Люда; Люда's bad moment", async () => {
    const shop = new Shop(await loadDefault());
    const A = "aristarkh";
    shop.contact(A, "ARIST1");
    const tg = (msg: Partial<InboundMessage>) => shop.say(A, "telegram", "100", msg);
    const tap = (buttonId: string) => tg({ buttonId });
    const stage = () => shop.contacts.get(A)!.stage;

    // 1. awareness: the gym flyer's QR code
    let out = tg({ text: "/start src_gym_flyer" });
    expect(shop.contacts.get(A)!.source).toBe("gym_flyer");
    expect(last(out).text).toContain("ФитПерекус");
    // popular products, the catalogue, and the audience question behind «not here to buy»
    expect(ids(out)).toEqual(["bar_choco", "bar_peanut", "shake_choco", "catalogue", "other"]);

    // 2. interest: a question in his own words
    out = tg({ text: "Чем можно перекусить на работе, чтобы не сорваться?" });
    expect(stage()).toBe("interest");
    expect(ids(out)).toEqual(["bars", "shakes", "office", "person"]);
    expect(last(out).choices!.find((c) => c.id === "person")!.label).toBe("Задать вопрос человеку");

    // 3. desire / research: bars, two products, delivery to the office
    out = tap("bars");
    expect(shop.contacts.get(A)!.stagesReached.desire).toBeDefined();
    expect(stage()).toBe("research");
    expect(ids(out)).toEqual(expect.arrayContaining(["bar_choco", "bar_vanilla", "back", "menu"]));
    out = tap("bar_vanilla");
    expect(last(out).photoUrl).toBe("photos/bar_vanilla.png");
    expect(last(out).text).toContain("белок 20\u00a0г");
    expect(ids(out)).toEqual(["add1", "add6", "add12", "qty", "back", "person"]);
    tap("back");
    out = tap("bar_choco");
    expect(last(out).text).toContain("Шоколадный брауни");
    out = tg({ text: "А доставка в офис есть?" });
    expect(last(out).text).toContain("290\u00a0₽");
    expect(last(out).text).toContain("в офис");
    expect(ids(out)).toContain("person");

    // 4. comparison: the shop's criteria and a person on offer
    out = tg({ text: "А чем ваши лучше, чем в магазине у дома?" });
    expect(stage()).toBe("comparison");
    expect(last(out).text).toMatch(/белок.*\n.*сахар.*\n.*цена за 100 г/s);
    expect(ids(out)).toContain("person");

    // 5. action: 12 chocolate bars to the office, phone shared with the button
    tap("bars");
    tap("bar_choco");
    // quantity and «в корзину» in one tap; 12 bars cost more than the office box: it is offered
    out = tap("add12");
    expect(all(out)).toContain("Шоколадный брауни × 12 — 1\u00a0788\u00a0₽");
    expect(all(out)).toContain("Офис на неделю (12 шт.) — 1\u00a0590\u00a0₽: дешевле на 198\u00a0₽");
    expect(ids(out)).toEqual(["checkout", "set", "more", "clear"]);
    tap("checkout");
    out = tap("office");
    expect(last(out).text).toContain("адрес");
    out = tg({ text: "Пресненская наб., 10, офис 1204, 12 этаж" });
    expect(last(out).askPhone).toBeDefined();
    out = tg({ phone: "79161234567" });
    expect(last(out).text).toContain("Пресненская наб., 10");
    expect(last(out).text).toContain("+79161234567");
    out = tap("ok");
    expect(last(out).text).toMatch(/Заказ №\S+ принят/);
    let orders = shop.orders.get(A)!;
    expect(orders).toHaveLength(1);
    // below the free-delivery threshold: 1 788 ₽ + 290 ₽ delivery; 5 % back in points
    expect(orders[0]).toMatchObject({ delivery: "courier_office", phone: "79161234567", total: 207_800 });
    expect(orders[0]!.totals).toEqual({ goods: 178_800, promo: 0, points: 0, delivery: 29_000, total: 207_800, earned: 89 });
    expect(shop.contacts.get(A)!.bonusPoints).toBe(89);
    expect(orders[0]!.lines).toEqual([expect.objectContaining({ productId: "bar_choco", qty: 12 })]);
    expect(stage()).toBe("action");

    // 6. engagement: advice on training goes to a seller, who hands back
    out = tg({ text: "Какие батончики подойдут для моих тренировок?" });
    expect(shop.conv("telegram", "100").handoff).toMatchObject({ queue: "sales" });
    expect(stage()).toBe("engagement");
    shop.system(A, "telegram", "100", { kind: "staff_reply", by: "Ольга", text: "Для силовых — арахисовый, 22 г белка." });
    out = shop.system(A, "telegram", "100", { kind: "handback", by: "Ольга" });
    expect(out[0]!.text).toContain("снова на связи");
    expect(ids(out)).toContain("catalogue");

    // 7. satisfaction: delivered; two hours later CSAT 5, NPS 9, a word
    shop.system(A, "telegram", "100", { kind: "order_status", orderId: orders[0]!.id, status: "delivered" });
    const deliveredAt = shop.now;
    out = shop.fire(A, "telegram", "100", "feedback");
    expect(shop.now - deliveredAt).toBe(2 * HOUR);
    expect(last(out).text).toContain("Как прошла моя работа сегодня?");
    expect(ids(out)).toEqual(["1", "2", "3", "4", "5"]);
    out = tap("5");
    expect(stage()).toBe("satisfaction");
    expect(ids(out)).toHaveLength(11);
    out = tap("9");
    out = tg({ text: "всё отлично" });
    expect(ids(out)).toEqual(["join", "invite", "later"]);
    tap("later");

    // 8. repeat: twelve days later «Повторить заказ?» — he repeats from WhatsApp
    out = shop.fire(A, "telegram", "100", "repeat");
    expect(last(out).text).toContain("Повторить заказ?");
    expect(last(out).text).toContain("Шоколадный брауни × 12");
    expect(ids(out)).toEqual(["ok", "change", "later"]);
    const wa = (msg: Partial<InboundMessage>) => shop.say(A, "whatsapp", "79161234567", msg);
    out = wa({ text: "Повторить заказ" });
    expect(last(out).text).toContain("Шоколадный брауни × 12");
    // one tap: delivery, address and phone come from the last order, whatever the channel
    out = wa({ buttonId: "ok" });
    expect(last(out).text).toMatch(/Заказ №\S+ принят/);
    expect(stage()).toBe("repeat");
    orders = shop.orders.get(A)!;
    expect(orders).toHaveLength(2);

    // 9. curiosity: past his usual interval, free delivery and bonus points
    out = shop.fire(A, "whatsapp", "79161234567", "lapse");
    expect(shop.contacts.get(A)!.stagesReached.curiosity).toBeDefined();
    expect(last(out).text).toContain("бесплатную доставку");
    expect(last(out).text).toContain("100 баллов");

    // 10. loyalty: the third order in two taps, then the bonus programme
    wa({ buttonId: "repeat" });
    out = wa({ buttonId: "ok" });
    expect(last(out).text).toMatch(/Заказ №\S+ принят/);
    orders = shop.orders.get(A)!;
    expect(orders[0]!.delivery).toBe("courier_office:free_delivery");
    // the win-back offer's free delivery is in the figures, not only in the text
    expect(orders[0]!.totals).toMatchObject({ goods: 178_800, delivery: 0, total: 178_800, earned: 89 });
    expect(stage()).toBe("loyalty");
    wa({ text: "Как работают бонусы?" });
    out = wa({ buttonId: "join" });
    expect(shop.contacts.get(A)!.bonusMember).toBe(true);
    // three orders × 89 points earned, plus 100 for joining
    expect(last(out).text).toContain("Баллов на счёте: 367");

    // 11. advocacy: his link brings Люда to VK, she starts at engagement
    out = wa({ buttonId: "invite" });
    expect(last(out).text).toContain("https://t.me/fitsnack_bot?start=ref_ARIST1");
    const L = "luda";
    shop.contact(L, "LUDA01");
    const vk = (msg: Partial<InboundMessage>) => shop.say(L, "vk", "555", msg);
    out = vk({ source: "ref_ARIST1", text: "Здравствуйте", profileName: "Люда" });
    expect(shop.contacts.get(L)!.referredBy).toBe(A);
    expect(shop.contacts.get(L)!.stage).toBe("engagement");
    vk({ buttonId: "catalogue" });
    vk({ buttonId: "office" });
    vk({ buttonId: "office_set_12" });
    vk({ buttonId: "add1" });
    vk({ buttonId: "checkout" });
    out = vk({ buttonId: "pickup" });
    expect(last(out).askPhone).toBeDefined();
    out = vk({ text: "8 916 765-43-21" });
    expect(last(out).text).toContain("Самовывоз: Москва, ул. Лесная, 5");
    vk({ buttonId: "ok" });
    expect(shop.orders.get(L)).toHaveLength(1);
    // (the thank-you ends in the menu, whose stage is interest: only the first time counts)
    expect(shop.contacts.get(A)!.stagesReached.advocacy).toBeDefined();
    expect(shop.contacts.get(A)!.bonusPoints).toBe(667);
    expect(shop.rewarded[0]!.text).toContain("Ваш друг Люда сделал первый заказ");
    expect(shop.rewarded[0]!.text).toContain("начислено 300 баллов, на счёте теперь 667");

    // 12. a bad moment: Люда's second delivery is late, she rates it 2
    vk({ text: "повторить" });
    vk({ buttonId: "ok" });
    const second = shop.orders.get(L)![0]!;
    shop.system(L, "vk", "555", { kind: "order_status", orderId: second.id, status: "delivered" });
    shop.fire(L, "vk", "555", "feedback");
    const before = shop.contacts.get(L)!.balance;
    out = vk({ buttonId: "2" });
    expect(last(out).text).toContain("Простите, что подвели");
    expect(shop.conv("vk", "555").handoff).toMatchObject({ queue: "care" });
    expect(shop.contacts.get(L)!.balance - before).toBe(-12);
  });

  it("a franchise partner and a supplier go to their own flows and queues, outside the customer funnel", async () => {
    const shop = new Shop(await loadDefault());
    shop.contact("p", "PART01");
    const p = (msg: Partial<InboundMessage>) => shop.say("p", "telegram", "200", msg);
    let out = p({ text: "/start aud_partner" });
    expect(shop.contacts.get("p")!.audience).toBe("partner");
    expect(last(out).text).toContain("В каком городе");
    out = p({ text: "Казань" });
    expect(ids(out)).toEqual(["point", "vending", "online", "exploring"]);
    p({ buttonId: "point" });
    p({ buttonId: "retail" });
    out = p({ phone: "79031112233" });
    expect(shop.conv("telegram", "200").handoff).toMatchObject({ queue: "partners" });
    out = shop.system("p", "telegram", "200", { kind: "handback", by: "Игорь" });
    expect(last(out).text).toContain("франшиз");
    expect(last(out).choices).toBeUndefined();

    shop.contact("s", "SUPP01");
    const s = (msg: Partial<InboundMessage>) => shop.say("s", "vk", "300", msg);
    s({ text: "Добрый день" });
    s({ buttonId: "other" });
    out = s({ buttonId: "supplier" });
    expect(shop.contacts.get("s")!.audience).toBe("supplier");
    s({ text: "Изолят сывороточного белка, от 500 кг в месяц" });
    s({ text: "ООО «Белок»" });
    s({ text: "+7 495 000-00-00" });
    expect(shop.conv("vk", "300").handoff).toMatchObject({ queue: "suppliers" });
    for (const id of ["p", "s"]) {
      const reached = Object.keys(shop.contacts.get(id)!.stagesReached);
      expect(reached.filter((k) => k !== "awareness" && k !== "engagement")).toEqual([]);
    }
  });

  it("stop opts out and says how to come back; a person is one word away", async () => {
    const shop = new Shop(await loadDefault());
    shop.contact("c", "CUST01");
    const c = (msg: Partial<InboundMessage>) => shop.say("c", "web", "w1", msg);
    c({ text: "Привет" });
    let out = c({ text: "стоп" });
    expect(shop.contacts.get("c")!.optedOut).toBe(true);
    expect(last(out).text).toContain("напишите");
    out = c({ text: "позвать человека" });
    expect(shop.conv("web", "w1").handoff).toMatchObject({ queue: "sales" });
  });
});
