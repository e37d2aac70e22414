import type { Logger } from "pino";
import { z } from "zod";
import type { Bundle } from "../../engine/bundle.ts";
import type { DeskEvent, EventBus } from "../../events/bus.ts";
import type { Contact, Touchpoint } from "../../model/domain.ts";
import type { InboundEvent, InboundSystem } from "../../model/inbound.ts";
import type { CustomerReads, EnqueueOutcome, KeyValuePort } from "../../store/port.ts";
import { HandoffData } from "../sla.ts";
import { GroupOutbox } from "./outbox.ts";
import type { StaffGroupApi, StaffGroupMessage } from "./port.ts";
import { channelName, reasonText, texts, topicLink, topicTitle } from "./texts.ts";
import { Topics } from "./topics.ts";

/**
 * The Telegram staff group: listens to the event bus and keeps a forum topic per
 * customer handed to a person (their words mirrored into it), posts alerts (new
 * handoff, low score, SLA breach) to the general topic, and turns a staff member's
 * message in a topic into a staff_reply on the customer's own channel, /bot into a
 * hand-back and /close into a resolve that closes the topic. Every change to a
 * conversation goes through its queue (ingest), as the staff API does.
 */

/** how a reply written in the group is signed (the inbox shows it; mirroring skips it) */
export const FROM_GROUP = " · Telegram";
const SEEN_NS = "sg.seen";
const CURSOR_NS = "sg.cursor";
const LEADER_NS = "sg.leader";
const SEEN_TTL_MS = 24 * 3_600_000;
/** one instance posts at a time (the group's pace and a customer's order are per process); others take over within this */
const LEADER_TTL_MS = 30_000;
const LEADER_RENEW_MS = 10_000;
/** a bot's line in a topic header is a reminder, not the whole text */
const HEADER_LINE_MAX = 160;
const RECENT_IN_HEADER = 5;

const TpData = HandoffData.extend({
  scale: z.string().optional(),
  score: z.number().optional(),
  attachments: z.array(z.object({ kind: z.string(), url: z.string().optional(), fileId: z.string().optional(), name: z.string().optional() })).optional(),
}).passthrough();
type TpData = z.infer<typeof TpData>;

const AlertData = z.object({ reason: z.string(), minutes: z.number().optional(), queue: z.string().optional() }).passthrough();

export interface StaffGroupDeskDeps {
  api: StaffGroupApi;
  store: CustomerReads & KeyValuePort;
  events: EventBus;
  bundle: () => Bundle;
  ingest: (events: InboundEvent[]) => Promise<EnqueueOutcome[]>;
  now: () => number;
  log: Logger;
  perMinute: number;
}

export class StaffGroupDesk {
  readonly outbox: GroupOutbox;
  private readonly topics: Topics;
  private readonly chains = new Map<string, Promise<void>>();
  private unsubscribe: (() => void) | undefined;
  private inFlight = new Set<Promise<void>>();
  private readonly instance = `${process.pid}:${Math.random().toString(36).slice(2, 10)}`;
  private leader = false;
  private leaderTimer: NodeJS.Timeout | undefined;

  constructor(private readonly d: StaffGroupDeskDeps) {
    this.topics = new Topics(d.store, d.api);
    this.outbox = new GroupOutbox({
      api: d.api,
      log: d.log,
      perMinute: d.perMinute,
      onThreadGone: async (_old, contactId) => (contactId ? this.topics.recreate(contactId) : undefined),
    });
  }

  async start(): Promise<void> {
    await this.lead();
    this.leaderTimer = setInterval(() => void this.lead().catch((err: unknown) => this.d.log.warn({ err: String(err) }, "staff group: leader lease")), LEADER_RENEW_MS);
    this.leaderTimer.unref();
  }

  /**
   * Takes or renews the lease of the instance that posts. Whoever gains it reads the
   * bus from the last event handled, so what happened while the previous one died is
   * posted (each event once: the seen-claim).
   */
  private async lead(): Promise<void> {
    const { store } = this.d;
    const key = this.d.api.chatId;
    const holder = await store.kvGet(LEADER_NS, key);
    const mine = holder === this.instance
      ? await store.kvSet(LEADER_NS, key, this.instance, { ttlMs: LEADER_TTL_MS })
      : await store.kvSet(LEADER_NS, key, this.instance, { ttlMs: LEADER_TTL_MS, ifAbsent: true });
    if (mine && !this.leader) {
      this.leader = true;
      this.topics.forget();
      const after = (await store.kvGet(CURSOR_NS, key)) ?? undefined;
      this.unsubscribe?.();
      this.unsubscribe = this.d.events.subscribe((e) => this.onEvent(e), after ? { after } : {});
    } else if (!mine && this.leader) {
      this.leader = false;
      this.unsubscribe?.();
      this.unsubscribe = undefined;
    }
  }

  async close(): Promise<void> {
    clearInterval(this.leaderTimer);
    this.unsubscribe?.();
    if (this.leader) await this.d.store.kvDelete(LEADER_NS, this.d.api.chatId).catch(() => false);
    await Promise.allSettled([...this.inFlight]);
    // posts in hand get a moment to leave (a 429 pause may outlast it: those are dropped, logged)
    const grace = new Promise<void>((r) => setTimeout(r, 2_000).unref());
    await Promise.race([this.outbox.idle(), grace]);
    if (this.outbox.pending > 0) this.d.log.warn({ pending: this.outbox.pending }, "staff group: posts dropped on shutdown");
    await this.outbox.close();
  }

  /** resolves when the events seen so far are handled and their posts sent (tests) */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
    await this.outbox.idle();
  }

  private relevant(e: DeskEvent): boolean {
    if (e.kind === "alert") return true;
    if (!e.contactId || !e.touchpoint) return false;
    return e.kind === "handoff" || e.kind === "message_in" || e.kind === "button" || e.kind === "feedback" || e.kind === "message_out";
  }

  private isMirror(e: DeskEvent): boolean {
    return e.kind === "message_in" || e.kind === "button" || e.kind === "message_out";
  }

  /** Per contact in order; each event handled by one instance (claimed in the key-value port). */
  private onEvent(e: DeskEvent): void {
    if (!this.relevant(e)) return;
    const lane = e.contactId ?? "alerts";
    const run = (this.chains.get(lane) ?? Promise.resolve())
      .then(async () => {
        // most customer messages have no topic to go to: no claim, no write for them
        if (this.isMirror(e) && !(await this.topics.get(e.contactId!))?.active) return;
        if (!(await this.d.store.kvSet(SEEN_NS, e.cursor, "1", { ifAbsent: true, ttlMs: SEEN_TTL_MS }))) return;
        await this.handle(e);
        await this.d.store.kvSet(CURSOR_NS, this.d.api.chatId, e.cursor);
      })
      .catch((err: unknown) => this.d.log.error({ err, kind: e.kind }, "staff group: event not handled"));
    this.chains.set(lane, run);
    this.inFlight.add(run);
    void run.finally(() => {
      this.inFlight.delete(run);
      if (this.chains.get(lane) === run) this.chains.delete(lane);
    });
  }

  private async handle(e: DeskEvent): Promise<void> {
    if (e.kind === "alert") return this.onAlert(e);
    const tp = e.touchpoint!;
    const parsed = TpData.safeParse(tp.data ?? {});
    const data: TpData = parsed.success ? parsed.data : {};
    if (tp.kind === "handoff" && data.back) return this.onHandback(tp, data);
    if (tp.kind === "handoff" && data.queue !== undefined) return this.onHandoff(tp, data);
    if (tp.kind === "handoff" && data.by && !data.by.endsWith(FROM_GROUP)) return this.onTaken(tp, data.by);
    if (tp.kind === "feedback" && tp.moment === "bad") return this.onLowScore(tp, data);
    if (tp.kind === "message_in" || tp.kind === "button") return this.mirrorIn(tp, data);
    if (tp.kind === "message_out" && data.staff && !data.by?.endsWith(FROM_GROUP)) return this.mirrorStaff(tp, data);
  }

  private async who(contactId: string, channel: string): Promise<{ contact: Contact | null; title: string }> {
    const contact = await this.d.store.getContact(contactId);
    return { contact, title: topicTitle(contact?.name, channel, contact?.audience ?? "customer") };
  }

  private queueName(queue: string): string {
    return this.d.bundle().shop.queues[queue]?.ru ?? queue;
  }

  private link(threadId: number | undefined): string | undefined {
    return threadId === undefined ? undefined : topicLink(this.d.api.chatId, threadId);
  }

  private async onHandoff(tp: Touchpoint, data: TpData): Promise<void> {
    if (data.queue === undefined) return;
    // staff started it (wrote first, took the chat): a topic to write in, no "needs a person" alert
    const byStaff = data.reason === "staff wrote" || data.reason === "staff took over";
    const { title } = await this.who(tp.contactId, tp.channel);
    const queue = this.queueName(data.queue ?? "");
    const reason = reasonText(data.reason ?? "");
    let topic;
    try {
      ({ topic } = await this.topics.open(tp.contactId, title, tp.conversationKey ?? ""));
    } catch (err) {
      // not a forum, or the bot may not manage topics: the team still hears of it
      this.d.log.error({ err: String(err) }, "staff group: could not open a topic");
      if (!byStaff) this.outbox.push({ text: `${texts.handoffAlert(title, queue, reason)}\n${texts.noTopic}` });
      return;
    }
    const recent = (await this.d.store.listTouchpoints(tp.contactId, 50))
      .filter((t) => (t.kind === "message_in" || t.kind === "message_out") && t.at <= tp.at)
      .slice(-RECENT_IN_HEADER)
      .map((t) => (t.kind === "message_in" ? texts.customer(t.summary) : texts.bot(shorten(t.summary))));
    this.outbox.push({ threadId: topic.threadId, contactId: tp.contactId, text: texts.topicHeader(title, queue, reason, channelName(tp.channel), recent) });
    if (!byStaff) this.outbox.push({ text: texts.handoffAlert(title, queue, reason, this.link(topic.threadId)) });
  }

  private async onLowScore(tp: Touchpoint, data: TpData): Promise<void> {
    const { title } = await this.who(tp.contactId, tp.channel);
    const topic = await this.topics.get(tp.contactId);
    const score = data.scale === "csat" ? `${data.score} из 5` : data.scale === "nps" ? `NPS ${data.score} из 10` : tp.summary;
    this.outbox.push({ text: texts.lowScoreAlert(title, score, this.link(topic?.threadId)) });
  }

  private async onAlert(e: DeskEvent): Promise<void> {
    const data = AlertData.safeParse(e.data ?? {});
    if (!data.success) return;
    // handoffs and low scores are posted from their touchpoints; other alerts as they come
    if (data.data.reason === "handoff" || data.data.reason === "low_score") return;
    if (data.data.reason === "sla_breach" && e.contactId && e.conversationKey) {
      const [channel] = e.conversationKey.split(":");
      const { title } = await this.who(e.contactId, channel ?? "");
      const topic = await this.topics.get(e.contactId);
      this.outbox.push({ text: texts.slaAlert(title, data.data.minutes ?? 0, this.queueName(data.data.queue ?? ""), this.link(topic?.threadId)) });
      return;
    }
    if (e.summary) this.outbox.push({ text: texts.otherAlert(e.summary) });
  }

  private async mirrorIn(tp: Touchpoint, data: TpData): Promise<void> {
    const topic = await this.topics.get(tp.contactId);
    if (!topic?.active) return;
    const base = { threadId: topic.threadId, contactId: tp.contactId };
    const attachments = data.attachments ?? [];
    const caption = tp.summary.startsWith("📎") ? undefined : tp.summary;
    let captioned = false;
    for (const a of attachments) {
      // a Telegram file id is this bot's to send again; a URL Telegram fetches itself
      const file = tp.channel === "telegram" ? a.fileId : a.url?.startsWith("https://") ? a.url : undefined;
      if ((a.kind === "photo" || a.kind === "document") && file) {
        this.outbox.push({ ...base, media: { kind: a.kind, file, ...(caption && !captioned ? { caption: texts.customer(caption) } : {}) } });
        captioned = true;
      } else {
        this.outbox.push({ ...base, text: texts.attachment(a.kind) });
      }
    }
    if (!captioned && (attachments.length === 0 || caption)) this.outbox.push({ ...base, text: texts.customer(tp.summary) });
  }

  private async mirrorStaff(tp: Touchpoint, data: TpData): Promise<void> {
    const topic = await this.topics.get(tp.contactId);
    if (!topic?.active) return;
    this.outbox.push({ threadId: topic.threadId, contactId: tp.contactId, text: texts.staffElsewhere(data.by ?? "сотрудник", tp.summary) });
  }

  /** taken in the web inbox: the group sees who has it */
  private async onTaken(tp: Touchpoint, by: string): Promise<void> {
    const topic = await this.topics.get(tp.contactId);
    if (topic?.active) this.outbox.push({ threadId: topic.threadId, contactId: tp.contactId, text: texts.taken(by) });
  }

  private async onHandback(tp: Touchpoint, data: TpData): Promise<void> {
    const topic = await this.topics.get(tp.contactId);
    if (!topic) return;
    const by = (data.by ?? "сотрудник").replace(FROM_GROUP, "");
    await this.topics.setActive(tp.contactId, false, data.resolved === true);
    this.outbox.push({ threadId: topic.threadId, contactId: tp.contactId, text: data.resolved ? texts.resolved(by) : texts.handedBack(by) });
    if (data.resolved) this.outbox.push({ threadId: topic.threadId, contactId: tp.contactId, close: true });
  }

  /** A staff member wrote in the group (the Telegram adapter routes the staff chat here). */
  async onGroupMessage(m: StaffGroupMessage): Promise<void> {
    if (m.from.isBot || m.threadId === undefined) return; // the general topic is for alerts and talk
    const topic = await this.topics.byThread(m.threadId);
    // a topic of the team's own (not a customer's): only a command there gets an answer
    if (!topic) return void (m.command ? this.outbox.push({ threadId: m.threadId, text: texts.unknownTopic }) : undefined);
    const conv = await this.d.store.getConversation(topic.conversationKey);
    if (!conv) return;
    const by = `${m.from.name}${FROM_GROUP}`;
    const system = (event: InboundSystem["event"]) =>
      this.d.ingest([{ type: "system", channel: conv.channel, chatId: conv.chatId, userId: conv.chatId, dedupeKey: `tgstaff:${m.updateId}`, at: this.d.now(), event }]);
    if (m.command) {
      if (!conv.handoff && m.command === "close") {
        await this.topics.setActive(topic.contactId, false, true);
        return void this.outbox.push({ threadId: m.threadId, contactId: topic.contactId, close: true });
      }
      if (!conv.handoff) return void this.outbox.push({ threadId: m.threadId, contactId: topic.contactId, text: texts.notInHandoff });
      await system({ kind: "handback", by, ...(m.command === "close" ? { resolved: true } : {}) });
      return;
    }
    if (m.media && !m.text) return void this.outbox.push({ threadId: m.threadId, contactId: topic.contactId, text: texts.mediaNotForwarded });
    if (m.text) {
      await system({ kind: "staff_reply", by, text: m.text.slice(0, 4000) });
      if (m.media) this.outbox.push({ threadId: m.threadId, contactId: topic.contactId, text: texts.mediaNotForwarded });
    }
  }
}

function shorten(text: string): string {
  const line = text.replace(/\s+/g, " ").trim();
  return line.length > HEADER_LINE_MAX ? `${line.slice(0, HEADER_LINE_MAX - 1)}…` : line;
}
