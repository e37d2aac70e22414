import type { Logger } from "pino";
import type { Channel } from "../model/channel.ts";
import type { Conversation } from "../model/domain.ts";
import type { InboundEvent } from "../model/inbound.ts";
import type { OutboxItem } from "../model/outbound.ts";
import type { ContactReads, ConversationReads } from "../store/port.ts";
import { undeliverableText } from "./texts.ts";

export interface RerouteDeps {
  store: ContactReads & ConversationReads;
  /** the channels this service can send on */
  channels: () => Channel[];
  enqueue: (events: InboundEvent[]) => Promise<unknown>;
  now: () => number;
  log: Logger;
}

/**
 * A reply the platform says it cannot deliver (the customer blocked the bot, the
 * messenger is blocked for them) is offered on the contact's other reachable channel
 * instead of only being parked: the most recent of their other chats gets it, with a
 * line saying where it could not go. It travels as a system event on that chat's own
 * queue, so it is ordered with what happens there. Answers the chat it went to, or
 * undefined when the contact has no other reachable chat (then it stays parked for
 * staff, as before).
 */
export function rerouteUndeliverable(deps: RerouteDeps): (item: OutboxItem) => Promise<string | undefined> {
  return async (item) => {
    const { store } = deps;
    const contact = await store.liveContact(item.contactId);
    if (!contact) return undefined;
    const open = new Set(deps.channels());
    const reachable = (c: Conversation) =>
      c.key !== item.conversationKey &&
      c.channel !== item.channel &&
      open.has(c.channel) &&
      contact!.identities.some((i) => i.channel === c.channel && i.reachable);
    const chats = (await store.listConversations({ contactId: contact.id, limit: 50 })).filter(reachable);
    const target = chats.sort((a, b) => (b.lastInboundAt ?? b.updatedAt) - (a.lastInboundAt ?? a.updatedAt))[0];
    if (!target) return undefined;
    const text = undeliverableText(item.channel, item.part.text, contact.locale);
    await deps.enqueue([
      {
        type: "system",
        channel: target.channel,
        chatId: target.chatId,
        userId: target.chatId,
        // one offer per undelivered part, however often the sender sees the failure
        dedupeKey: `relay:${item.id}`,
        at: deps.now(),
        event: { kind: "relay", text, ...(item.part.photoUrl ? { photoUrl: item.part.photoUrl } : {}), from: item.channel, why: "undeliverable" },
      },
    ]);
    deps.log.info({ outbox: item.id, from: item.conversationKey, to: target.key }, "undeliverable reply offered on another channel");
    return target.key;
  };
}
