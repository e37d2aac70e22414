/** StoreLifecycle (src/store/ports/lifecycle.ts): ping, and state kept across close and reopen (stores that can reopen). */
import { describe, expect, it } from "vitest";
import type { Store } from "../../src/store/port.ts";
import { T0, makeCommit, makeContact, makeConversation, makeMessage, makeOrder, makeOutboxItem, makeTouchpoint } from "../store-fixtures.ts";
import { stageRows, contactByIdentity } from "../support/store.ts";
import { LEASE, NOW, eachStore, type OpenStore } from "./shared.ts";

export function lifecycleContract(open: OpenStore, reopen?: (s: Store) => Promise<Store>): void {
  let store: Store;
  const each = () => eachStore(open, (s) => (store = s), () => store);

  describe("lifecycle", () => {
    each();
    it("answers ping", async () => {
      await expect(store.ping()).resolves.toBeUndefined();
    });

    if (reopen) {
      it("keeps its state across close and reopen", async () => {
        const seen = makeMessage({ chatId: "a", dedupeKey: "seen-1" });
        await store.enqueue([seen, makeMessage({ chatId: "b" }), makeMessage({ chatId: "a" })]);
        const [claimed] = await store.claimInbound("w1", 1, LEASE, NOW);
        const contact = makeContact({
          phone: "79990001122",
          identities: [{ channel: "telegram", userId: "a", reachable: true }],
          stagesReached: { awareness: T0 + 1 },
        });
        const conv = makeConversation({
          chatId: "a",
          contactId: contact.id,
          step: "menu",
          timers: { remind: { at: NOW, token: "t1", target: "x" } },
        });
        const tp = makeTouchpoint({ contactId: contact.id });
        const order = makeOrder({ contactId: contact.id });
        const sent = makeOutboxItem({ chatId: "a", seq: 1 });
        const waiting = makeOutboxItem({ chatId: "a", seq: 2 });
        await store.commitStep(
          makeCommit({
            conversation: conv,
            contacts: [contact],
            touchpoints: [tp],
            orders: [order],
            outbox: [sent, waiting],
          }),
        );
        await store.claimOutbox(1, LEASE, NOW);
        await store.markSent(sent.id, ["m1"], NOW);

        store = await reopen(store);

        expect(await store.enqueue([seen])).toEqual(["duplicate"]);
        expect(await store.pendingInbound()).toBe(3);
        // the lease taken before the restart still holds; the other conversation is free
        const after = await store.claimInbound("w2", 10, LEASE, NOW + 100);
        expect(after.map((e) => e.conversationKey)).toEqual(["telegram:b"]);
        const retaken = await store.claimInbound("w2", 10, LEASE, NOW + LEASE + 1);
        expect(retaken.map((e) => e.id)).toEqual([claimed!.id]);

        expect(await store.getContact(contact.id)).toEqual(contact);
        expect(await contactByIdentity(store, "telegram", "a")).toEqual(contact);
        expect(await store.findContactByPhone("79990001122")).toEqual(contact);
        expect(await store.getConversation(conv.key)).toEqual(conv);
        expect(await store.listTouchpoints(contact.id)).toEqual([tp]);
        expect(await store.getOrder(order.id)).toEqual(order);
        expect((await store.findOutboxByPlatformId("telegram", "m1"))!.id).toBe(sent.id);
        expect((await store.claimOutbox(10, LEASE, NOW)).map((i) => i.id)).toEqual([waiting.id]);
        expect((await store.dueTimers(NOW, 10)).map((t) => t.name)).toEqual(["remind"]);
        expect(await stageRows(store, T0, T0 + 10)).toHaveLength(1);
        expect(await store.stepCounts({})).toEqual([{ flow: "main", step: "menu", count: 1 }]);
      });
    }
  });
}
