import type { Logger } from "pino";
import type { Ingest } from "../channel/port.ts";
import { CAPABILITIES } from "../model/channel.ts";
import type { Contact, Conversation, Touchpoint } from "../model/domain.ts";
import { conversationKey, type InboundEvent, type InboundMessage } from "../model/inbound.ts";
import type { OutboxItem } from "../model/outbound.ts";
import { render } from "../render/render.ts";
import type { ContactReads, ConversationReads, MergePort, StepPort } from "../store/port.ts";
import { MOVE_PAYLOAD, restoreMoveCode, takeMoveCode, type MoveTicket } from "./codes.ts";
import type { SmallKv } from "./kv.ts";
import { blankConversation } from "../engine/engine.ts";
import { movedHereText } from "./texts.ts";

export interface MoveDeps {
  store: StepPort & ConversationReads & ContactReads & MergePort;
  kv: SmallKv;
  now: () => number;
  log: Logger;
}

/**
 * Wraps the adapters' ingest: a message arriving with a `mv_<code>` deep link (a
 * /start payload, a VK ref, the web chat's ?start=) redeems the code before it is
 * queued. The chat's identity joins the contact the code was made for, and the
 * conversation — step, cart, answers, a handoff in progress — is carried over from the
 * old chat, with a first message that says so. The event then goes on as usual: the
 * engine reads the link as a deep link of a known contact and shows the menu.
 *
 * A code taken but not finished (the store failed) is put back, and the platform gets
 * an error, so its redelivery redeems it. A used or unknown code is dropped from the
 * event: the customer is greeted like anyone else.
 */
export function intakeWithMoves(ingest: Ingest, deps: MoveDeps): Ingest {
  return async (events) => {
    const taken: { code: string; ticket: MoveTicket }[] = [];
    try {
      const out: InboundEvent[] = [];
      for (const e of events) {
        const code = e.type === "message" && e.source ? MOVE_PAYLOAD.exec(e.source)?.[1] : undefined;
        if (e.type !== "message" || code === undefined) {
          out.push(e);
          continue;
        }
        const ticket = await takeMoveCode(deps.kv, code);
        if (!ticket) {
          deps.log.info({ channel: e.channel }, "move: the code is used, expired or unknown; greeting as usual");
          const { source: _dropped, ...rest } = e;
          out.push(rest);
          continue;
        }
        taken.push({ code, ticket });
        const moved = await moveHere(deps, e, ticket, code);
        out.push(moved ? e : withoutSource(e));
      }
      return await ingest(out);
    } catch (err) {
      for (const t of taken) await restoreMoveCode(deps.kv, t.code, t.ticket).catch(() => undefined);
      throw err;
    }
  };
}

function withoutSource(e: InboundMessage): InboundMessage {
  const { source: _dropped, ...rest } = e;
  return rest;
}

/** the move itself; false when there is nothing to move to (the contact is gone) */
async function moveHere(deps: MoveDeps, e: InboundMessage, ticket: MoveTicket, code: string): Promise<boolean> {
  const { store, log } = deps;
  const now = deps.now();
  const contact = await store.liveContact(ticket.contactId);
  if (!contact) {
    log.warn({ contactId: ticket.contactId }, "move: the contact of the code no longer exists");
    return false;
  }
  const key = conversationKey(e);
  // this chat's conversation and the contact its identity stands for now, read together
  const [from, { conversation: here, contact: already }] = await Promise.all([
    store.getConversation(ticket.from),
    store.loadTurn(key, e.channel, e.userId, 0),
  ]);
  const fromChannel = from?.channel ?? (ticket.from.split(":")[0] as Conversation["channel"]);

  const identities = contact.identities.some((i) => i.channel === e.channel && i.userId === e.userId)
    ? contact.identities.map((i) => (i.channel === e.channel && i.userId === e.userId ? { ...i, reachable: true } : i))
    : [...contact.identities, { channel: e.channel, userId: e.userId, reachable: true }];
  const moved: Contact = { ...contact, identities, updatedAt: now };

  if (!from && !here) {
    // nothing to carry over (the old chat is gone): the identity joins; the worker starts the chat
    await store.commitStep({ contacts: [moved], touchpoints: [moveTouchpoint(e, contact.id, key, ticket, fromChannel, code)], orders: [], outbox: [] });
    if (already && already.id !== contact.id) await store.mergeContacts(already.id, contact.id);
    return true;
  }
  const base: Conversation = here ?? blankConversation({ key, channel: e.channel, chatId: e.chatId }, contact.id, from!.flow, now);
  const conversation: Conversation = {
    ...base,
    contactId: contact.id,
    ...(from
      ? {
          flow: from.flow,
          step: from.step,
          awaiting: from.awaiting,
          vars: { ...from.vars },
          cart: from.cart.map((l) => ({ ...l })),
          handoff: from.handoff ? { ...from.handoff } : base.handoff,
        }
      : {}),
    updatedAt: now,
  };
  const outbox: OutboxItem[] = render({ text: movedHereText(fromChannel, conversation.cart, contact.locale) }, CAPABILITIES[e.channel]).map((part) => {
    const seq = conversation.outSeq++;
    return {
      id: `out_move_${code}_${seq}`,
      channel: e.channel,
      chatId: e.chatId,
      conversationKey: key,
      contactId: contact.id,
      seq,
      part,
      customerLastInboundAt: e.at,
      hints: conversation.hints,
      createdAt: now,
      attempts: 0,
      notBefore: 0,
      status: "pending",
    };
  });
  const touchpoint = moveTouchpoint(e, contact.id, key, ticket, fromChannel, code);
  await store.commitStep({ conversation, contacts: [moved], touchpoints: [touchpoint], orders: [], outbox });
  // this chat had a contact of its own already: one person, one history
  if (already && already.id !== contact.id) await store.mergeContacts(already.id, contact.id);
  log.info({ from: ticket.from, to: key, contactId: contact.id }, "move: the conversation continues on another channel");
  return true;
}

/** the move in the journey, on the new channel: reports split by channel show where the customer went */
function moveTouchpoint(e: InboundMessage, contactId: string, key: string, ticket: MoveTicket, fromChannel: string, code: string): Touchpoint {
  return {
    id: `tp_move_${code}`,
    at: e.at,
    contactId,
    conversationKey: key,
    channel: e.channel,
    kind: "note",
    summary: `moved from ${fromChannel} to ${e.channel}`,
    data: { move: { from: ticket.from, to: key, fromChannel, toChannel: e.channel } },
  };
}
