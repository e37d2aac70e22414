import type { Conversation } from "../model/domain.ts";
import { conversationKey, type InboundMessage, type InboundSystem, type InboundTimer } from "../model/inbound.ts";
import { cloneData } from "./clone.ts";
import { deepLinkOf, isCommand, mentions } from "./answers.ts";
import { resolveStepRef, shopRef } from "./bundle.ts";
import { isStaleLifecycleTimer } from "./lifecycle.ts";
import { answer, MENU_ID, PERSON_ID, retry, runFrom, startHandoff } from "./run.ts";
import { onStaffEvent } from "./staff-events.ts";
import { durationMs } from "./text.ts";
import { acknowledgeWhileWaiting } from "./waiting.ts";
import { act, actOnWords, meaningOfButton, notUnderstood } from "./understood.ts";
import { understand } from "./understand/understand.ts";
import { onPayment } from "./payment.ts";
import { Turn, type EngineInput, type EngineResult } from "./turn.ts";

export type { EngineInput, EngineResult, LinkBuilder, ReferralReward } from "./turn.ts";

/**
 * The conversation engine: a pure function of (conversation, contact, event, flows,
 * clock) → (new state, replies, touchpoints, orders). No I/O, so a step can be
 * tested without servers and replayed after a crash with the same result.
 */
export function step(input: EngineInput): EngineResult {
  const conv = input.conversation ? cloneData(input.conversation) : newConversation(input);
  const turn = new Turn(input, conv);
  const e = input.event;
  switch (e.type) {
    case "message":
      onMessage(turn, e);
      break;
    case "timer":
      onTimer(turn, e);
      break;
    case "system":
      onSystem(turn, e);
      break;
    case "reachability": {
      const id = turn.contact.identities.find((i) => i.channel === e.channel && i.userId === e.userId);
      if (id) id.reachable = e.reachable;
      if (e.optIn !== undefined) turn.contact.optIn = e.optIn;
      turn.touch("optin", e.reachable ? "can be written to again" : "blocked the bot or denied messages", { data: { reachable: e.reachable } });
      break;
    }
    case "status":
      // delivery statuses are recorded by the pipeline on the outbox, not here
      break;
  }
  return turn.result();
}

function newConversation(input: EngineInput): Conversation {
  const e = input.event;
  return blankConversation({ key: conversationKey(e), channel: e.channel, chatId: e.chatId }, input.contact.id, shopRef(input.bundle.shop.entry).flow, input.now);
}

/** a chat that has not started yet: no step, nothing asked, nothing in the cart */
export function blankConversation(chat: Pick<Conversation, "key" | "channel" | "chatId">, contactId: string, flow: string, now: number): Conversation {
  return {
    ...chat,
    contactId,
    flow,
    step: null,
    awaiting: null,
    vars: {},
    cart: [],
    handoff: null,
    timers: {},
    lastInboundAt: null,
    hints: {},
    outSeq: 0,
    createdAt: now,
    updatedAt: now,
  };
}

function onMessage(turn: Turn, msg: InboundMessage): void {
  const { conv, contact, bundle } = turn;
  const { shop } = bundle;
  const pressed = msg.buttonId !== undefined ? conv.awaiting?.choices?.find((c) => c.id === msg.buttonId) : undefined;
  turn.touch(msg.buttonId !== undefined ? "button" : "message_in", msg.text ?? pressed?.label ?? msg.buttonId ?? describe(msg), {
    data: {
      ...(msg.buttonId !== undefined ? { buttonId: msg.buttonId } : {}),
      ...(msg.attachments?.length ? { attachments: msg.attachments } : {}),
      ...(msg.location ? { location: msg.location } : {}),
      ...(msg.phone ? { phone: msg.phone } : {}),
    },
  });
  conv.lastInboundAt = msg.at;
  if (msg.hints) conv.hints = { ...conv.hints, ...msg.hints };
  if (msg.profileName && !contact.name) contact.name = msg.profileName;
  if (contact.optedOut && !isCommand(msg.text, shop.words.stop)) contact.optedOut = false;
  const identity = contact.identities.find((i) => i.channel === msg.channel && i.userId === msg.userId);
  if (identity && !identity.reachable) identity.reachable = true;
  delete conv.timers.wait; // the customer wrote first: a pending follow-up is cancelled

  const firstContact = contact.stagesReached.awareness === undefined;
  const link = deepLinkOf(msg);
  if (firstContact) {
    if (link?.startsWith("src_")) contact.source = link.slice(4);
    turn.reach("awareness", link ? `first contact via ${link}` : "first contact");
  }
  if (link) return onDeepLink(turn, link, firstContact);

  if (conv.handoff) {
    // A person has the chat: the message waits for them in the inbox (acknowledged once).
    if (isCommand(msg.text, shop.words.stop)) return runFrom(turn, shop.stop);
    return acknowledgeWhileWaiting(turn);
  }
  if (msg.buttonId === PERSON_ID || isCommand(msg.text, shop.words.person)) {
    return runFrom(turn, shop.audiences[contact.audience]?.person ?? shop.person);
  }
  if (isCommand(msg.text, shop.words.stop)) return runFrom(turn, shop.stop);
  // /start is the shop's front page: popular products, the last order, the catalogue
  if (msg.text?.trim() === "/start") return runFrom(turn, shop.entry);
  if (msg.buttonId === MENU_ID || isCommand(msg.text, shop.words.menu)) {
    return runFrom(turn, shop.audiences[contact.audience]?.menu ?? shop.menu);
  }
  // a "did you mean" button carries its meaning: it works from any step
  const meant = meaningOfButton(msg.buttonId);
  if (meant) return act(turn, meant);
  if (firstContact) {
    // The first words are answered, the welcome folded into the answer.
    turn.lead = turn.t("welcome.short");
    if (actOnWords(turn, msg)) return;
    turn.lead = undefined;
    return runFrom(turn, shop.entry);
  }

  if (conv.awaiting) {
    // «батончики» typed at the address question is the catalogue, not an address
    if (conv.awaiting.kind === "text" && namesGoods(turn, msg.text) && actOnWords(turn, msg)) return;
    if (answer(turn, msg)) return;
    if (actOnWords(turn, msg)) return;
    if (conv.awaiting.kind === "choice") return notUnderstood(turn, msg.text);
    return retry(turn);
  }
  if (actOnWords(turn, msg)) return;
  // Nothing is pending and the words mean nothing to the shop: say so, offer the closest.
  if (msg.text) turn.reachForward("interest", "wrote to the shop");
  notUnderstood(turn, msg.text);
}

/**
 * A short message without digits that is a product's or a category's name («батончики»),
 * not a word of a description («ООО «Белок»» stays a company name).
 */
const NAME_SCORE = 8;
function namesGoods(turn: Turn, text: string | undefined): boolean {
  if (!text || /\d/.test(text) || text.trim().split(/\s+/).length > 3) return false;
  const u = understand(turn.bundle, text);
  const kind = u.best?.kind;
  return (kind === "category" || kind === "product" || kind === "products") && (u.score ?? 0) >= NAME_SCORE;
}

function describe(msg: InboundMessage): string {
  if (msg.phone) return `📞 ${msg.phone}`;
  if (msg.location) return `📍 ${msg.location.lat},${msg.location.lon}`;
  if (msg.attachments?.length) return `📎 ${msg.attachments.map((a) => a.kind).join(", ")}`;
  return "…";
}

function onDeepLink(turn: Turn, link: string, firstContact: boolean): void {
  const { contact, bundle, input } = turn;
  const [kind, ...rest] = link.split("_");
  const value = rest.join("_");
  turn.touch("note", `deep link ${link}`, { data: { deepLink: link } });
  if (kind === "ref") {
    const referrer = input.referrer;
    if (referrer && referrer.id !== contact.id && firstContact) {
      contact.referredBy = referrer.id;
      contact.source = link;
      // A friend's recommendation: trust is already earned.
      turn.reach("engagement", `referred by ${referrer.name ?? referrer.id}`);
    }
  }
  if (kind === "promo") {
    if (firstContact) turn.lead = turn.t("welcome.short");
    turn.conv.vars.promo_input = value;
    return runFrom(turn, bundle.shop.answers.promo ?? bundle.shop.menu);
  }
  if (kind === "aud") {
    const route = bundle.shop.deepLinks.audiences[value];
    if (route) {
      contact.audience = route.audience;
      return runFrom(turn, route.next);
    }
  }
  runFrom(turn, firstContact ? bundle.shop.entry : bundle.shop.menu);
}

function onTimer(turn: Turn, e: InboundTimer): void {
  const { conv, contact, bundle } = turn;
  const timer = conv.timers[e.name];
  if (!timer || timer.token !== e.token) return; // cancelled or replaced: nothing to do
  delete conv.timers[e.name];
  const { events } = bundle.shop;
  const quiet = conv.handoff !== null || contact.optedOut === true;
  switch (e.name) {
    case "wait":
      if (!conv.handoff) runFrom(turn, timer.target);
      return;
    case "feedback":
      if (!quiet) runFrom(turn, events.order_delivered);
      return;
    case "repeat":
      if (quiet || isStaleLifecycleTimer(turn, timer.token)) return;
      turn.touch("note", "repeat reminder (usual interval reached)", { data: { lifecycle: "repeat" } });
      runFrom(turn, events.repeat_due);
      return;
    case "lapse":
      if (isStaleLifecycleTimer(turn, timer.token)) return;
      if (contact.orderCount >= 2) turn.reach("curiosity", "repeat customer lapsed past their interval");
      if (!quiet) runFrom(turn, events.lapse_due);
      return;
    case "churn":
      if (isStaleLifecycleTimer(turn, timer.token)) return;
      turn.reach("churned", `no order for ${bundle.shop.lifecycle.churnAfterDays} days`);
      return;
  }
}

function onSystem(turn: Turn, e: InboundSystem): void {
  const { conv, bundle } = turn;
  const ev = e.event;
  switch (ev.kind) {
    case "order_status": {
      const order = turn.orders.find((o) => o.id === ev.orderId);
      if (!order || order.status === ev.status) return;
      const updated = { ...order, status: ev.status, updatedAt: turn.now };
      turn.saveOrder(updated);
      turn.touch("order_status", `order ${order.number}: ${order.status} → ${ev.status}`, {
        data: { orderId: order.id, from: order.status, to: ev.status },
      });
      turn.say({ text: turn.t("engine.order_status", { order: { number: order.number, status: turn.t(`order_status.${ev.status}`) } }) });
      if (ev.status === "delivered") {
        conv.timers.feedback = {
          at: turn.now + durationMs(bundle.shop.events.feedbackDelay),
          token: turn.input.newId("fb"),
          target: bundle.shop.events.order_delivered,
        };
      }
      return;
    }
    case "staff_reply":
      if (!conv.handoff) startHandoff(turn, "customers", "staff wrote");
      if (!conv.handoff!.assignee) conv.handoff!.assignee = ev.by;
      turn.outbound.push({ text: ev.text });
      turn.touch("message_out", ev.text.slice(0, 200), { data: { by: ev.by, staff: true } });
      return;
    case "handoff_take":
      if (!conv.handoff) startHandoff(turn, "customers", "staff took over");
      conv.handoff!.assignee = ev.by;
      turn.touch("handoff", `taken by ${ev.by}`, { data: { by: ev.by } });
      turn.say({ text: turn.t("engine.staff_joined", { staff: ev.by }) });
      return;
    case "handback": {
      if (!conv.handoff) return;
      const resume = ev.step ?? conv.handoff.resumeStep ?? bundle.shop.events.handback;
      turn.touch("handoff", `${ev.resolved ? "resolved" : "handed back to the bot"} by ${ev.by}`, {
        data: { by: ev.by, back: true, ...(ev.resolved ? { resolved: true } : {}) },
      });
      conv.handoff = null;
      const { flow, step } = resolveStepRef(resume, conv.flow);
      runFrom(turn, `${flow}.${step}`);
      return;
    }
    case "staff_note":
    case "assign":
    case "resolve":
    case "offline":
      return onStaffEvent(turn, ev);
    case "relay":
      // the flow's state is untouched: this is a message from elsewhere, not a step
      turn.outbound.push({ text: ev.text, ...(ev.photoUrl ? { photoUrl: ev.photoUrl } : {}) });
      turn.touch("message_out", ev.text.slice(0, 200), { data: { relay: ev.why, from: ev.from } });
      return;
    case "payment":
    case "order_refund":
      return onPayment(turn, ev);
    case "referral_reward":
      turn.contact.bonusPoints += ev.bonus;
      turn.touch("note", `friend ${ev.friendName} ordered: +${ev.bonus}`, { moment: "good", data: { orderId: ev.orderId, bonus: ev.bonus } });
      turn.reach("advocacy", "a referred friend placed an order");
      if (!conv.handoff) {
        conv.vars.friend = ev.friendName;
        conv.vars.reward = ev.bonus;
        runFrom(turn, bundle.shop.events.referral_rewarded);
      }
      return;
  }
}
