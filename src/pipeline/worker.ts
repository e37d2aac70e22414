import type { Logger } from "pino";
import { CAPABILITIES, type Channel } from "../model/channel.ts";
import type { Contact, Conversation, Touchpoint } from "../model/domain.ts";
import { conversationKey, type InboundEvent, type InboundStatus } from "../model/inbound.ts";
import type { OutboxItem } from "../model/outbound.ts";
import type { Bundle } from "../engine/bundle.ts";
import { step, type EngineResult, type LinkBuilder } from "../engine/engine.ts";
import { render } from "../render/render.ts";
import { bookPromoUses, promoUsesFor } from "./promo-uses.ts";
import { pooledRandomBytes } from "../store/ids.ts";
import type { CommitLeases, CustomerReads, DeliveryPort, JournalEntry, JournalPort, MergePort, SendResultPort, StepPort } from "../store/port.ts";
import type { KeyValuePort } from "../store/kv.ts";

/** what the worker reads and writes: the journal, the step, the customer's records, merges, delivery receipts, promo-use counters */
export type WorkerStore = JournalPort & StepPort & CustomerReads & MergePort & DeliveryPort & SendResultPort & KeyValuePort;
import { type EventBus, touchpointEvent } from "../events/bus.ts";

/**
 * Takes one journal entry (the oldest of a conversation nobody else is working
 * on), gathers what the engine needs, runs it, renders the replies for the channel
 * and commits everything in one write. What must happen after the commit (merging
 * a contact found on two channels, rewarding a referrer) is idempotent.
 */
export interface WorkerDeps {
  store: WorkerStore;
  bundle: () => Bundle;
  now: () => number;
  links: LinkBuilder;
  log: Logger;
  /**
   * leases the commit may take for us: the chat's next journal entry (back to this
   * worker) and the outbox heads it made due (for the sender); none while stopping
   */
  leases: () => CommitLeases;
  /** the outbox got new items; those the commit leased come along */
  onOutbox: (leased: OutboxItem[]) => void;
  /** enqueue follow-up events (rewards, reachability) */
  enqueue: (events: InboundEvent[]) => Promise<unknown>;
  /** live pages hear of every committed touchpoint */
  events?: Pick<EventBus, "publish">;
}

const MAX_ATTEMPTS = 5;
/** orders the engine sees (repeat order, order status) */
export const RECENT_ORDERS = 20;

export function newContact(e: InboundEvent, now: number): Contact {
  const locale = e.type === "message" && e.locale?.toLowerCase().startsWith("en") ? "en" : "ru";
  return {
    id: `c_${now.toString(36)}${pooledRandomBytes(5).toString("hex")}`,
    ...(e.type === "message" && e.profileName ? { name: e.profileName } : {}),
    locale,
    audience: "customer",
    referralCode: pooledRandomBytes(5).toString("base64url").replace(/[-_]/g, "x"),
    identities: [{ channel: e.channel, userId: e.userId, reachable: true }],
    stagesReached: {},
    stage: "awareness",
    balance: 0,
    optIn: false,
    bonusPoints: 0,
    bonusMember: false,
    orderCount: 0,
    createdAt: now,
    updatedAt: now,
  };
}

export class Worker {
  constructor(private readonly deps: WorkerDeps) {}

  /** answers the chat's next entry when the commit leased it to us, undefined when it could not */
  async process(entry: JournalEntry): Promise<JournalEntry[] | undefined> {
    const { store, log } = this.deps;
    try {
      if (entry.event.type === "status") {
        await this.status(entry, entry.event);
        return undefined;
      }
      return await this.converse(entry);
    } catch (err) {
      // Our lease ran out and another worker already applied this entry: nothing to undo.
      if ((err as Error)?.name === "StaleEntryError") {
        log.warn({ entry: entry.id }, "entry was already processed elsewhere");
        return undefined;
      }
      log.error({ err, entry: entry.id, conversation: entry.conversationKey }, "processing failed; will retry");
      // The store itself may be what failed: keep trying to hand the entry back so the
      // conversation does not wait out the whole lease (the lease still covers a crash).
      for (let attempt = 0; attempt < 20; attempt++) {
        try {
          await store.releaseInbound(entry.id, String((err as Error)?.message ?? err), MAX_ATTEMPTS);
          return undefined;
        } catch {
          await new Promise((r) => setTimeout(r, Math.min(100 * 2 ** attempt, 1000)));
        }
      }
      return undefined;
    }
  }

  private async converse(entry: JournalEntry): Promise<JournalEntry[]> {
    const { store, now: clock } = this.deps;
    const e = entry.event;
    const now = clock();
    // One read for the usual case — the chat's own contact found by its identity, with
    // its orders (one round trip on Redis, none when the enqueue that leased us the
    // entry read it already); the referrer, when a link names one, alongside.
    const [turn, referrer] = await Promise.all([
      entry.turn ?? store.loadTurn(entry.conversationKey, e.channel, e.userId, RECENT_ORDERS),
      this.referrerFor(e),
    ]);
    const { conversation, contact: known } = turn;
    const usual = known && (!conversation || conversation.contactId === known.id);
    const { contact, created } = usual ? { contact: known, created: false } : await this.contactFor(e, conversation, known, now);
    // a contact made by this message has no orders to read
    const orders = usual ? turn.orders : created ? [] : await store.listOrders({ contactId: contact.id, limit: RECENT_ORDERS });
    const bundle = this.deps.bundle();
    const promoUses = await promoUsesFor(store, bundle, conversation, e);
    const run = () => {
      let n = 0;
      return step({
        bundle,
        event: e,
        now,
        conversation,
        contact,
        orders,
        referrer,
        newId: (prefix) => `${prefix}_${entry.id}_${(n++).toString(36)}`,
        links: this.deps.links,
        promoUses,
      });
    };
    let result = run();
    // a promo code's last use taken by someone else meanwhile: the step again, seeing it used up
    for (const code of await bookPromoUses(store, bundle, result)) promoUses[code] = Number.MAX_SAFE_INTEGER;
    if (Object.values(promoUses).includes(Number.MAX_SAFE_INTEGER)) result = run();
    const samePhone = await this.otherContactWithPhone(contact, result);
    const outbox = this.outboxItems(result, now, entry.id);
    const leased = await store.commitStep(
      {
        entryId: entry.id,
        conversation: result.conversation,
        contacts: [result.contact],
        touchpoints: result.touchpoints,
        orders: result.orders,
        outbox,
      },
      this.deps.leases(),
    );
    if (outbox.length > 0) this.deps.onOutbox(leased.outbox);
    this.deps.events?.publish(result.touchpoints.map(touchpointEvent));
    // Same phone on two channels: one person, one history (the older contact stays).
    if (samePhone) {
      const [from, into] = samePhone.createdAt <= result.contact.createdAt ? [result.contact, samePhone] : [samePhone, result.contact];
      await store.mergeContacts(from.id, into.id);
    }
    await this.reward(result);
    return leased.next;
  }

  /**
   * the chat's contact when it is not simply the one its identity points to (`known`);
   * `created` when this message makes a new one
   */
  private async contactFor(
    e: InboundEvent,
    conversation: Conversation | null,
    known: Contact | null,
    now: number,
  ): Promise<{ contact: Contact; created: boolean }> {
    const { store } = this.deps;
    if (conversation) {
      const c = await store.liveContact(conversation.contactId);
      if (c) return { contact: c, created: false };
    }
    if (known) return { contact: known, created: false };
    // WhatsApp gives the number: a customer already known by phone keeps their history.
    if (e.type === "message" && e.channel === "whatsapp" && e.phone) {
      const byPhone = await store.findContactByPhone(e.phone);
      if (byPhone) {
        const identities = [...byPhone.identities, { channel: e.channel, userId: e.userId, reachable: true }];
        return { contact: { ...byPhone, identities }, created: false };
      }
      return { contact: { ...newContact(e, now), phone: e.phone }, created: true };
    }
    return { contact: newContact(e, now), created: true };
  }

  private async referrerFor(e: InboundEvent): Promise<Contact | null> {
    if (e.type !== "message") return null;
    const payload = e.source ?? /^\/start\s+(\S+)$/.exec(e.text?.trim() ?? "")?.[1] ?? e.text?.trim();
    const code = payload && /^ref_([A-Za-z0-9_-]+)$/.exec(payload)?.[1];
    return code ? this.deps.store.findContactByReferralCode(code) : null;
  }

  private async otherContactWithPhone(before: Contact, result: EngineResult): Promise<Contact | null> {
    const phone = result.contact.phone;
    if (!phone || phone === before.phone) return null;
    const other = await this.deps.store.findContactByPhone(phone);
    return other && other.id !== result.contact.id ? other : null;
  }

  private outboxItems(result: EngineResult, now: number, entryId: string): OutboxItem[] {
    const conv = result.conversation;
    const caps = CAPABILITIES[conv.channel];
    const items: OutboxItem[] = [];
    for (const message of result.outbound) {
      for (const part of render(message, caps)) {
        const seq = conv.outSeq++;
        items.push({
          id: `out_${entryId}_${seq}`,
          channel: conv.channel,
          chatId: conv.chatId,
          conversationKey: conv.key,
          contactId: conv.contactId,
          seq,
          part,
          customerLastInboundAt: conv.lastInboundAt,
          hints: conv.hints,
          createdAt: now,
          attempts: 0,
          notBefore: 0, // due at once; retries set wall-clock times

          status: "pending",
        });
      }
    }
    return items;
  }

  /** Tell each referrer, on their latest conversation, that their friend ordered. */
  private async reward(result: EngineResult): Promise<void> {
    for (const r of result.rewards) {
      const [conv] = await this.deps.store.listConversations({ contactId: r.referrerId, limit: 1 });
      if (!conv) continue;
      await this.deps.enqueue([
        {
          type: "system",
          channel: conv.channel,
          chatId: conv.chatId,
          userId: conv.chatId,
          dedupeKey: `reward:${r.orderId}`,
          at: this.deps.now(),
          event: { kind: "referral_reward", friendName: r.friendName, bonus: r.bonus, orderId: r.orderId },
        },
      ]);
    }
  }

  /** A delivery status from the platform: recorded on the outbox item and the log. */
  private async status(entry: JournalEntry, e: InboundStatus): Promise<void> {
    const { store } = this.deps;
    const item = await store.findOutboxByPlatformId(e.channel, e.platformMessageId);
    if (!item) {
      await store.commitStep({ entryId: entry.id, contacts: [], touchpoints: [], orders: [], outbox: [] });
      return;
    }
    await store.setDeliveryStatus(item.id, e.status);
    if (e.status === "failed") {
      // Never lost silently: staff see it among held messages and can send it again.
      await store.markFailed(item.id, "held", `platform reported failure${e.error ? `: ${e.error.code} ${e.error.title}` : ""}`);
    }
    const tp: Touchpoint = {
      id: `tp_${entry.id}`,
      at: e.at,
      contactId: item.contactId,
      conversationKey: conversationKey(e),
      channel: e.channel as Channel,
      kind: "delivery_status",
      summary: `${e.status}${e.error ? ` (${e.error.code} ${e.error.title})` : ""}`,
      data: { outboxId: item.id, status: e.status, ...(e.error ? { error: e.error } : {}) },
    };
    await store.commitStep({ entryId: entry.id, contacts: [], touchpoints: [tp], orders: [], outbox: [] });
    this.deps.events?.publish([touchpointEvent(tp)]);
  }
}
