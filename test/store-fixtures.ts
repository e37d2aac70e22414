/**
 * Fixture factories for store tests and benchmarks. Free of vitest, so a benchmark
 * run with tsx can import them; test/store-contract/index.ts re-exports them.
 */
import type { Channel } from "../src/model/channel.ts";
import type { InboundMessage } from "../src/model/inbound.ts";
import { conversationKey } from "../src/model/inbound.ts";
import type { OutboxItem } from "../src/model/outbound.ts";
import type { Contact, Conversation, Order, Touchpoint } from "../src/model/domain.ts";
import type { StepCommit } from "../src/store/port.ts";
import { newId } from "../src/store/ids.ts";

/** a fixed base time for fixtures */
export const T0 = 1_750_000_000_000;

let counter = 0;
function uniq(): string {
  return `${(++counter).toString(36)}${Math.random().toString(36).slice(2, 7)}`;
}

export function makeContact(over: Partial<Contact> = {}): Contact {
  return {
    id: newId("ct"),
    locale: "ru",
    audience: "customer",
    referralCode: `r${uniq()}`,
    identities: [],
    stagesReached: {},
    stage: "awareness",
    balance: 0,
    optIn: false,
    bonusPoints: 0,
    bonusMember: false,
    orderCount: 0,
    createdAt: T0,
    updatedAt: T0,
    ...over,
  };
}

export function makeConversation(over: Partial<Conversation> = {}): Conversation {
  const channel: Channel = over.channel ?? "telegram";
  const chatId = over.chatId ?? uniq();
  return {
    key: conversationKey({ channel, chatId }),
    channel,
    chatId,
    contactId: newId("ct"),
    flow: "main",
    step: "start",
    awaiting: null,
    vars: {},
    cart: [],
    handoff: null,
    timers: {},
    lastInboundAt: null,
    hints: {},
    outSeq: 1,
    createdAt: T0,
    updatedAt: T0,
    ...over,
  };
}

export function makeOutboxItem(over: Partial<OutboxItem> = {}): OutboxItem {
  const channel: Channel = over.channel ?? "telegram";
  const chatId = over.chatId ?? "100";
  return {
    id: newId("ob"),
    channel,
    chatId,
    conversationKey: conversationKey({ channel, chatId }),
    contactId: "ct_someone",
    seq: 1,
    part: { text: "Здравствуйте!" },
    customerLastInboundAt: null,
    createdAt: T0,
    attempts: 0,
    notBefore: 0,
    status: "pending",
    ...over,
  };
}

export function makeTouchpoint(over: Partial<Touchpoint> = {}): Touchpoint {
  return {
    id: newId("tp"),
    at: T0,
    contactId: "ct_someone",
    channel: "telegram",
    kind: "message_in",
    summary: "привет",
    ...over,
  };
}

export function makeOrder(over: Partial<Order> = {}): Order {
  return {
    id: newId("or"),
    number: `A-${uniq()}`,
    contactId: "ct_someone",
    conversationKey: "telegram:100",
    channel: "telegram",
    audience: "customer",
    lines: [{ productId: "tea", title: "Чай", qty: 2, price: 25_000 }],
    total: 50_000,
    delivery: "pickup",
    status: "placed",
    createdAt: T0,
    updatedAt: T0,
    ...over,
  };
}

export function makeMessage(over: Partial<InboundMessage> = {}): InboundMessage {
  const chatId = over.chatId ?? "100";
  return {
    type: "message",
    channel: "telegram",
    chatId,
    userId: chatId,
    dedupeKey: uniq(),
    at: T0,
    platformMessageId: uniq(),
    text: "привет",
    ...over,
  };
}

export function makeCommit(over: Partial<StepCommit> = {}): StepCommit {
  return { contacts: [], touchpoints: [], orders: [], outbox: [], ...over };
}
