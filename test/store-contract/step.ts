/** StepPort (src/store/ports/step.ts): one step is one write, all or nothing; loadTurn reads what a step needs. */
import { describe, expect, it } from "vitest";
import type { Store } from "../../src/store/port.ts";
import { type Conversation } from "../../src/model/domain.ts";
import { T0, makeCommit, makeContact, makeConversation, makeMessage, makeOrder, makeOutboxItem, makeTouchpoint } from "../store-fixtures.ts";
import { stageRows } from "../support/store.ts";
import { LEASE, NOW, eachStore, type OpenStore } from "./shared.ts";

export function stepContract(open: OpenStore): void {
  let store: Store;
  const each = () => eachStore(open, (s) => (store = s), () => store);

  describe("commitStep", () => {
    each();
    it("writes conversation, contacts, touchpoints, orders and outbox, and consumes the entry", async () => {
      await store.enqueue([makeMessage({ chatId: "7" })]);
      const [entry] = await store.claimInbound("w1", 1, LEASE, NOW);
      const contact = makeContact({ identities: [{ channel: "telegram", userId: "7", reachable: true }] });
      const conv = makeConversation({ chatId: "7", contactId: contact.id, vars: { name: "Оля" } });
      const tp = makeTouchpoint({ contactId: contact.id, conversationKey: conv.key });
      const order = makeOrder({ contactId: contact.id, conversationKey: conv.key });
      const item = makeOutboxItem({ chatId: "7", contactId: contact.id, hints: { keyboard: false } });
      await store.commitStep(
        makeCommit({
          entryId: entry!.id,
          conversation: conv,
          contacts: [contact],
          touchpoints: [tp],
          orders: [order],
          outbox: [item],
        }),
      );
      expect(await store.getConversation(conv.key)).toEqual(conv);
      expect(await store.getContact(contact.id)).toEqual(contact);
      expect(await store.listTouchpoints(contact.id)).toEqual([tp]);
      expect(await store.getOrder(order.id)).toEqual(order);
      expect(await store.listOutbox({ conversationKey: conv.key })).toEqual([item]);
      expect(await store.pendingInbound()).toBe(0);
      expect(await store.getConversation("telegram:nope")).toBeNull();
      expect(await store.getContact("ct_nope")).toBeNull();
      expect(await store.getOrder("or_nope")).toBeNull();
    });

    it("is all or nothing: an outbox item taking a seq already used in its chat rejects the whole step", async () => {
      const conv = makeConversation({ chatId: "9", step: "start" });
      const taken = makeOutboxItem({ chatId: "9", seq: 1 });
      await store.commitStep(makeCommit({ conversation: conv, outbox: [taken] }));
      await store.enqueue([makeMessage({ chatId: "9" })]);
      const [entry] = await store.claimInbound("w1", 1, LEASE, NOW);

      const contact = makeContact();
      const changed: Conversation = {
        ...conv,
        step: "menu",
        timers: { remind: { at: NOW, token: "t1", target: "menu" } },
        updatedAt: NOW,
      };
      const bad = makeCommit({
        entryId: entry!.id,
        conversation: changed,
        contacts: [{ ...contact, stagesReached: { interest: NOW } }],
        touchpoints: [makeTouchpoint({ contactId: contact.id })],
        orders: [makeOrder({ contactId: contact.id })],
        outbox: [makeOutboxItem({ chatId: "9", seq: 2 }), makeOutboxItem({ chatId: "9", seq: 1 })],
      });
      await expect(store.commitStep(bad)).rejects.toThrow();

      expect(await store.getConversation(conv.key)).toEqual(conv);
      expect(await store.getContact(contact.id)).toBeNull();
      expect(await store.listTouchpoints(contact.id)).toEqual([]);
      expect(await store.listOrders({ contactId: contact.id })).toEqual([]);
      expect(await store.listOutbox({ conversationKey: conv.key })).toEqual([taken]);
      expect(await store.dueTimers(NOW, 10)).toEqual([]);
      expect(await stageRows(store, 0, NOW + 1)).toEqual([]);
      expect(await store.pendingInbound()).toBe(1);
      // the entry is still out with its lease, and can be committed properly after
      await store.commitStep(makeCommit({ entryId: entry!.id, conversation: changed }));
      expect(await store.pendingInbound()).toBe(0);
      expect((await store.getConversation(conv.key))!.step).toBe("menu");
    });

    it("is all or nothing: a value that cannot be stored rejects the whole step", async () => {
      await store.enqueue([makeMessage({ chatId: "9" })]);
      const [entry] = await store.claimInbound("w1", 1, LEASE, NOW);
      const contact = makeContact();
      const conv = makeConversation({ chatId: "9", contactId: contact.id });
      const bad = makeCommit({
        entryId: entry!.id,
        conversation: conv,
        contacts: [contact],
        touchpoints: [makeTouchpoint({ contactId: contact.id, data: { amount: BigInt(1) } })],
        outbox: [makeOutboxItem({ chatId: "9" })],
      });
      await expect(store.commitStep(bad)).rejects.toThrow();
      expect(await store.getConversation(conv.key)).toBeNull();
      expect(await store.getContact(contact.id)).toBeNull();
      expect(await store.listOutbox({ conversationKey: conv.key })).toEqual([]);
      expect(await store.pendingInbound()).toBe(1);
    });

    it("keeps touchpoints append-only: an id it already has is ignored", async () => {
      const tp = makeTouchpoint({ contactId: "c1", summary: "first" });
      await store.commitStep(makeCommit({ touchpoints: [tp] }));
      await store.commitStep(makeCommit({ touchpoints: [{ ...tp, summary: "second" }, tp] }));
      expect(await store.listTouchpoints("c1")).toEqual([tp]);
    });
  });

  describe("loadTurn", () => {
    each();
    it("reads the conversation, the identity's live contact (merges followed) and its latest orders, newest first", async () => {
      const from = makeContact({ identities: [{ channel: "vk", userId: "7", reachable: true }] });
      const into = makeContact({ identities: [{ channel: "telegram", userId: "8", reachable: true }] });
      const conv = makeConversation({ chatId: "8", contactId: into.id });
      const orders = [1, 2, 3].map((i) => makeOrder({ contactId: into.id, createdAt: T0 + i }));
      await store.commitStep(makeCommit({ conversation: conv, contacts: [from, into], orders }));
      await store.mergeContacts(from.id, into.id);
      const merged = await store.getContact(into.id);

      const turn = await store.loadTurn(conv.key, "vk", "7", 2);
      expect(turn.conversation).toEqual(conv);
      expect(turn.contact).toEqual(merged);
      expect(turn.orders.map((o) => o.id)).toEqual([orders[2]!.id, orders[1]!.id]);
      // no orders asked for: none read
      expect((await store.loadTurn(conv.key, "telegram", "8", 0)).orders).toEqual([]);
    });

    it("answers nulls for a chat and an identity it does not know", async () => {
      expect(await store.loadTurn("telegram:nobody", "telegram", "nobody", 5)).toEqual({ conversation: null, contact: null, orders: [] });
    });
  });
}
