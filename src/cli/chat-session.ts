import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import type { ChannelAdapter, SendResult } from "../channel/port.ts";
import { createApp, type App } from "../app.ts";
import { loadConfig } from "../config.ts";
import { CAPABILITIES, type Channel } from "../model/channel.ts";
import { STAGE_TITLES, type Contact, type Conversation } from "../model/domain.ts";
import { conversationKey, type InboundEvent, type OrderStatusName } from "../model/inbound.ts";
import type { Choice, OutboxItem } from "../model/outbound.ts";
import { describeSpan, drawPart } from "./chat-view.ts";

/**
 * The shop's real engine, pipeline and flows on a throwaway SQLite store (a temp
 * directory removed on close), one customer on one channel, and a clock the owner
 * moves with /wait so follow-ups, repeat and lapse reminders fire now instead of in
 * days. Replies leave through a terminal "adapter" that records what the channel
 * would have been sent.
 */
const CHAT_IDS: Record<Channel, string> = { telegram: "100000001", whatsapp: "79160000001", vk: "200000001", max: "300000001", web: "terminal-owner" };
const UNITS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 };

export class ChatSession {
  private seq = 0;
  private sent: OutboxItem[] = [];
  /** the choices a number presses: those of the latest reply that had any */
  private choices: Choice[] = [];

  private constructor(
    readonly app: App,
    readonly channel: Channel,
    private readonly clock: { t: number },
    private readonly dir: string,
  ) {}

  static async open(opts: { channel: Channel; flowsDir: string; start?: number }): Promise<ChatSession> {
    const dir = mkdtempSync(join(tmpdir(), "frontdesk-chat-"));
    const clock = { t: opts.start ?? Date.now() };
    const box: { session?: ChatSession } = {};
    const terminal: ChannelAdapter = {
      channel: opts.channel,
      capabilities: CAPABILITIES[opts.channel],
      // nothing real to protect: replies show at once
      rate: { perSecond: 10_000, perChatPerSecond: 10_000, perChatBurst: 10_000 },
      register: async () => undefined,
      send: async (item): Promise<SendResult> => {
        box.session?.sent.push(item);
        return { ok: true, platformMessageIds: [`terminal-${item.id}`] };
      },
    };
    try {
      const config = loadConfig({ DATA_DIR: dir, FLOWS_DIR: opts.flowsDir, PORT: "0", HOST: "127.0.0.1", LOG_LEVEL: "silent" });
      const app = await createApp(config, { now: () => clock.t, logger: pino({ level: "silent" }), adapters: [terminal], pollMs: 50 });
      box.session = new ChatSession(app, opts.channel, clock, dir);
      return box.session;
    } catch (err) {
      rmSync(dir, { recursive: true, force: true });
      throw err;
    }
  }

  get now(): number {
    return this.clock.t;
  }
  get chatId(): string {
    return CHAT_IDS[this.channel];
  }
  get key(): string {
    return conversationKey({ channel: this.channel, chatId: this.chatId });
  }

  /**
   * A typed line: a button's exact label, or its number, presses it (as a tap would);
   * anything else is text the customer wrote.
   */
  async say(line: string): Promise<string[]> {
    const typed = line.trim().toLowerCase();
    const byLabel = this.choices.find((c) => c.label.trim().toLowerCase() === typed);
    const n = /^(\d{1,2})$/.exec(typed);
    const choice = byLabel ?? (n ? this.choices[Number(n[1]) - 1] : undefined);
    if (choice) return this.send({ buttonId: choice.id });
    const start = /^\/start(?:\s+(\S+))?\s*$/.exec(line.trim());
    if (start) return this.send({ text: "/start", ...(start[1] ? { source: start[1] } : {}) });
    return this.send({ text: line });
  }

  async sharePhone(phone: string): Promise<string[]> {
    return this.send({ phone: phone.replace(/\D/g, "") });
  }

  /** "/wait 2h": move the clock, fire what became due (timers may set further timers) */
  async wait(span: string): Promise<{ movedMs: number; replies: string[] } | undefined> {
    const m = /^(\d{1,5})\s*([mhdw])$/i.exec(span.trim());
    if (!m) return undefined;
    const ms = Number(m[1]) * UNITS[m[2]!.toLowerCase()]!;
    this.clock.t += ms;
    return { movedMs: ms, replies: await this.settle(true) };
  }

  /** staff marks the latest order (what makes the feedback question come) */
  async orderStatus(status: OrderStatusName): Promise<{ orderNumber?: string; replies: string[] }> {
    const contact = await this.contact();
    const [order] = contact ? await this.app.store.listOrders({ contactId: contact.id, limit: 1 }) : [];
    if (!order) return { replies: [] };
    await this.app.ingest([
      { type: "system", channel: this.channel, chatId: this.chatId, userId: this.chatId, dedupeKey: `chat:${++this.seq}:${status}`, at: this.now, event: { kind: "order_status", orderId: order.id, status } },
    ]);
    return { orderNumber: order.number, replies: await this.settle(false) };
  }

  async contact(): Promise<Contact | null> {
    const conv = await this.conversation();
    return conv ? this.app.store.getContact(conv.contactId) : null;
  }
  conversation(): Promise<Conversation | null> {
    return this.app.store.getConversation(this.key);
  }

  /** /state: the contact's journey as staff would read it */
  async state(): Promise<string[]> {
    const [conv, contact] = [await this.conversation(), await this.contact()];
    if (!conv || !contact) return ["(ещё нет разговора — напишите что-нибудь / no conversation yet: say something)"];
    const title = (s: keyof typeof STAGE_TITLES) => `${STAGE_TITLES[s].ru} (${STAGE_TITLES[s].en})`;
    const when = (t: number) => new Date(t).toLocaleString("ru-RU", { dateStyle: "short", timeStyle: "short" });
    const reached = Object.entries(contact.stagesReached)
      .sort((a, b) => (a[1] ?? 0) - (b[1] ?? 0))
      .map(([s, t]) => `    ${title(s as keyof typeof STAGE_TITLES)} — ${when(t!)}`);
    const timers = Object.entries(conv.timers)
      .sort((a, b) => a[1].at - b[1].at)
      .map(([name, t]) => `    ${name} → ${t.target}: через ${describeSpan(t.at - this.now)} (${when(t.at)})`);
    return [
      `сейчас / now: ${when(this.now)}`,
      `этап / stage: ${title(contact.stage)}; баланс моментов / balance: ${contact.balance > 0 ? "+" : ""}${contact.balance}`,
      `заказов / orders: ${contact.orderCount}; бонусы / bonus: ${contact.bonusPoints}`,
      `шаг / step: ${conv.step ? `${conv.flow}.${conv.step}` : "(сценарий закончен / flow ended)"}${conv.handoff ? "; у оператора / with a person" : ""}`,
      ...(conv.cart.length ? [`корзина / cart: ${conv.cart.map((l) => `${l.productId} × ${l.qty}`).join(", ")}`] : []),
      "пройдено / stages reached:",
      ...reached,
      ...(timers.length ? ["таймеры / timers:", ...timers] : ["таймеров нет / no timers"]),
    ];
  }

  async close(): Promise<void> {
    try {
      await this.app.close();
    } finally {
      rmSync(this.dir, { recursive: true, force: true });
    }
  }

  get directory(): string {
    return this.dir;
  }

  private async send(input: { text?: string; buttonId?: string; phone?: string; source?: string }): Promise<string[]> {
    const id = ++this.seq;
    const event: InboundEvent = {
      type: "message",
      channel: this.channel,
      chatId: this.chatId,
      userId: this.chatId,
      dedupeKey: `chat:${id}`,
      platformMessageId: `chat-${id}`,
      at: this.now,
      locale: "ru",
      profileName: "Владелец",
      ...input,
    };
    await this.app.ingest([event]);
    return this.settle(false);
  }

  /** let the pipeline finish; with timers, run every timer due by now (and those they set) */
  private async settle(timers: boolean): Promise<string[]> {
    for (let round = 0; round < 50; round++) {
      if (timers) await this.app.tick();
      await this.app.idle();
      const conv = timers ? await this.conversation() : null;
      if (!conv || !Object.values(conv.timers).some((t) => t.at <= this.now)) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    return this.drain();
  }

  private drain(): string[] {
    const items = this.sent.splice(0).sort((a, b) => a.seq - b.seq);
    const out: string[] = [];
    for (const item of items) {
      const drawn = drawPart(item.part);
      if (drawn.choices.length > 0) this.choices = drawn.choices;
      out.push(drawn.lines.join("\n"));
    }
    return out;
  }
}
