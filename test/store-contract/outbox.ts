/** OutboxPort (src/store/ports/outbox.ts): per-chat order, retries, parking, delivery receipts, retention. */
import { describe, expect, it } from "vitest";
import type { OutboxItem } from "../../src/model/outbound.ts";
import type { Store } from "../../src/store/port.ts";
import { makeCommit, makeOutboxItem } from "../store-fixtures.ts";
import { LEASE, NOW, eachStore, type OpenStore } from "./shared.ts";

export function outboxContract(open: OpenStore): void {
  let store: Store;
  const each = () => eachStore(open, (s) => (store = s), () => store);

  // ---- outbox ------------------------------------------------------------------------
  describe("outbox", () => {
    each();
    const ids = (items: OutboxItem[]) => items.map((i) => i.id).sort();

    it("hands out only the lowest pending seq of a conversation, one per conversation", async () => {
      const a1 = makeOutboxItem({ chatId: "a", seq: 1 });
      const a2 = makeOutboxItem({ chatId: "a", seq: 2 });
      const a3 = makeOutboxItem({ chatId: "a", seq: 3 });
      const b1 = makeOutboxItem({ chatId: "b", seq: 1 });
      await store.commitStep(makeCommit({ outbox: [a2, a1, b1, a3] }));
      const first = await store.claimOutbox(10, LEASE, NOW);
      expect(ids(first)).toEqual(ids([a1, b1]));
      expect(await store.claimOutbox(10, LEASE, NOW)).toEqual([]);
      await store.markSent(a1.id, ["m1"], NOW);
      expect((await store.claimOutbox(10, LEASE, NOW)).map((i) => i.id)).toEqual([a2.id]);
      await store.markSent(a2.id, ["m2"], NOW);
      await store.markSent(b1.id, ["m3"], NOW);
      expect((await store.claimOutbox(10, LEASE, NOW)).map((i) => i.id)).toEqual([a3.id]);
    });

    it("respects max", async () => {
      const items = ["a", "b", "c"].map((chatId) => makeOutboxItem({ chatId }));
      await store.commitStep(makeCommit({ outbox: items }));
      expect(await store.claimOutbox(2, LEASE, NOW)).toHaveLength(2);
      expect(await store.claimOutbox(2, LEASE, NOW)).toHaveLength(1);
    });

    it("lets a lower seq that is not yet due hold back the later ones", async () => {
      const a1 = makeOutboxItem({ chatId: "a", seq: 1, notBefore: NOW + 5000 });
      const a2 = makeOutboxItem({ chatId: "a", seq: 2, notBefore: 0 });
      await store.commitStep(makeCommit({ outbox: [a1, a2] }));
      expect(await store.claimOutbox(10, LEASE, NOW)).toEqual([]);
      expect((await store.claimOutbox(10, LEASE, NOW + 5000)).map((i) => i.id)).toEqual([a1.id]);
    });

    it("hands an item out again when its lease ran out", async () => {
      const a1 = makeOutboxItem({ chatId: "a", seq: 1 });
      await store.commitStep(makeCommit({ outbox: [a1, makeOutboxItem({ chatId: "a", seq: 2 })] }));
      expect((await store.claimOutbox(10, 1000, NOW)).map((i) => i.id)).toEqual([a1.id]);
      expect(await store.claimOutbox(10, 1000, NOW + 999)).toEqual([]);
      expect((await store.claimOutbox(10, 1000, NOW + 1001)).map((i) => i.id)).toEqual([a1.id]);
    });

    it("retries an item later, keeping it in front of the conversation's later items", async () => {
      const a1 = makeOutboxItem({ chatId: "a", seq: 1 });
      const a2 = makeOutboxItem({ chatId: "a", seq: 2 });
      await store.commitStep(makeCommit({ outbox: [a1, a2] }));
      await store.claimOutbox(10, LEASE, NOW);
      await store.markRetry(a1.id, NOW + 1000, "429 retry_after 1");
      expect(await store.claimOutbox(10, LEASE, NOW)).toEqual([]);
      const [listed] = await store.listOutbox({ conversationKey: a1.conversationKey, limit: 1 });
      expect(listed).toMatchObject({
        id: a1.id,
        status: "pending",
        attempts: 1,
        notBefore: NOW + 1000,
        lastError: "429 retry_after 1",
      });
      const again = await store.claimOutbox(10, LEASE, NOW + 1000);
      expect(again.map((i) => i.id)).toEqual([a1.id]);
      expect(again[0]!.attempts).toBe(1);
    });

    it("a wait the platform asked for does not count as a failed attempt", async () => {
      const a1 = makeOutboxItem({ chatId: "a", seq: 1 });
      await store.commitStep(makeCommit({ outbox: [a1] }));
      await store.claimOutbox(10, LEASE, NOW);
      await store.markRetry(a1.id, NOW + 1000, "rate limited", { countAttempt: false });
      await store.claimOutbox(10, LEASE, NOW + 1000);
      await store.markRetry(a1.id, NOW + 2000, "500", { countAttempt: true });
      const [listed] = await store.listOutbox({ conversationKey: a1.conversationKey, limit: 1 });
      expect(listed).toMatchObject({ status: "pending", attempts: 1, notBefore: NOW + 2000, lastError: "500" });
    });

    it("stops held and dead items from blocking; requeue puts one back in line", async () => {
      const [a1, a2, a3] = [1, 2, 3].map((seq) => makeOutboxItem({ chatId: "a", seq }));
      await store.commitStep(makeCommit({ outbox: [a1!, a2!, a3!] }));
      expect((await store.claimOutbox(10, LEASE, NOW)).map((i) => i.id)).toEqual([a1!.id]);
      await store.markFailed(a1!.id, "held", "whatsapp window closed");
      expect((await store.claimOutbox(10, LEASE, NOW)).map((i) => i.id)).toEqual([a2!.id]);
      await store.markFailed(a2!.id, "dead", "400 bad request");
      expect((await store.claimOutbox(10, LEASE, NOW)).map((i) => i.id)).toEqual([a3!.id]);
      await store.markSent(a3!.id, ["m3"], NOW);
      expect(await store.claimOutbox(10, LEASE, NOW)).toEqual([]);

      const held = await store.listOutbox({ status: "held" });
      expect(held.map((i) => [i.id, i.lastError])).toEqual([[a1!.id, "whatsapp window closed"]]);
      expect((await store.listOutbox({ status: "dead" })).map((i) => i.id)).toEqual([a2!.id]);

      await store.requeueOutbox(a1!.id, NOW + 10);
      expect(await store.claimOutbox(10, LEASE, NOW + 9)).toEqual([]);
      const back = await store.claimOutbox(10, LEASE, NOW + 10);
      expect(back.map((i) => [i.id, i.status])).toEqual([[a1!.id, "pending"]]);
      expect(await store.listOutbox({ status: "held" })).toEqual([]);
    });

    it("finds a sent item by platform message id, per channel, and records its delivery status", async () => {
      const item = makeOutboxItem({ channel: "whatsapp", chatId: "79990001122" });
      await store.commitStep(makeCommit({ outbox: [item] }));
      await store.claimOutbox(10, LEASE, NOW);
      await store.markSent(item.id, ["wamid.A", "wamid.B"], NOW);
      const found = await store.findOutboxByPlatformId("whatsapp", "wamid.B");
      expect(found).toMatchObject({ id: item.id, status: "sent", platformMessageIds: ["wamid.A", "wamid.B"] });
      expect(await store.findOutboxByPlatformId("telegram", "wamid.A")).toBeNull();
      expect(await store.findOutboxByPlatformId("whatsapp", "wamid.C")).toBeNull();
      await store.setDeliveryStatus(item.id, "read");
      expect((await store.findOutboxByPlatformId("whatsapp", "wamid.A"))!.deliveryStatus).toBe("read");
      expect((await store.listOutbox({ status: "sent" }))[0]!.deliveryStatus).toBe("read");
    });

    it("lists a conversation's outbox in seq order, by status, with a limit", async () => {
      const [a3, a1, a2] = [3, 1, 2].map((seq) => makeOutboxItem({ chatId: "a", seq }));
      const b1 = makeOutboxItem({ chatId: "b", seq: 1 });
      await store.commitStep(makeCommit({ outbox: [a3!, a1!, b1, a2!] }));
      const key = a1!.conversationKey;
      expect((await store.listOutbox({ conversationKey: key })).map((i) => i.seq)).toEqual([1, 2, 3]);
      expect((await store.listOutbox({ conversationKey: key, limit: 2 })).map((i) => i.seq)).toEqual([1, 2]);
      await store.markSent(a1!.id, ["x"], NOW);
      expect((await store.listOutbox({ conversationKey: key, status: "pending" })).map((i) => i.seq)).toEqual([
        2, 3,
      ]);
      expect(await store.listOutbox({ status: "pending" })).toHaveLength(3);
      expect(await store.listOutbox({ conversationKey: "telegram:none" })).toEqual([]);
    });

    it("retention deletes sent items sent before the cut, oldest first, and nothing else", async () => {
      // a: sent early; b: sent late; c: created before b, sent last; d held, e dead, f pending
      const [a, b, c] = [1, 2, 3].map((seq) => makeOutboxItem({ channel: "whatsapp", chatId: `s${seq}`, seq }));
      const [d, e, f] = ["d", "e", "f"].map((chat) => makeOutboxItem({ chatId: chat, seq: 1 }));
      await store.commitStep(makeCommit({ outbox: [a!, c!, b!, d!, e!, f!] }));
      await store.markSent(a!.id, ["wamid.a"], NOW);
      await store.markSent(b!.id, ["wamid.b1", "wamid.b2"], NOW + 100);
      await store.markSent(c!.id, ["wamid.c"], NOW + 200);
      await store.markFailed(d!.id, "held", "window closed");
      await store.markFailed(e!.id, "dead", "400");
      // sent items are listed in the order they went out
      expect((await store.listOutbox({ status: "sent" })).map((i) => i.id)).toEqual([a!.id, b!.id, c!.id]);

      expect(await store.pruneSent(NOW, 10)).toEqual({ deleted: 0, done: true });
      expect(await store.pruneSent(NOW + 150, 1)).toEqual({ deleted: 1, done: false });
      expect(await store.pruneSent(NOW + 150, 1)).toEqual({ deleted: 1, done: false });
      expect(await store.pruneSent(NOW + 150, 1)).toEqual({ deleted: 0, done: true });

      expect((await store.listOutbox({ status: "sent" })).map((i) => i.id)).toEqual([c!.id]);
      expect(await store.listOutbox({ conversationKey: a!.conversationKey })).toEqual([]);
      expect(await store.findOutboxByPlatformId("whatsapp", "wamid.a")).toBeNull();
      expect(await store.findOutboxByPlatformId("whatsapp", "wamid.b2")).toBeNull();
      expect((await store.findOutboxByPlatformId("whatsapp", "wamid.c"))?.id).toBe(c!.id);
      // deleted ids are forgotten: the status change of a pruned item is a no-op
      await store.setDeliveryStatus(a!.id, "read");
      expect(await store.listOutbox({ conversationKey: a!.conversationKey })).toEqual([]);

      // never: held, dead, pending, however old
      expect(await store.pruneSent(NOW + 1e12, 10)).toEqual({ deleted: 1, done: true });
      expect((await store.listOutbox({})).map((i) => [i.id, i.status]).sort()).toEqual(
        [
          [d!.id, "held"],
          [e!.id, "dead"],
          [f!.id, "pending"],
        ].sort(),
      );
      expect((await store.claimOutbox(10, LEASE, NOW)).map((i) => i.id)).toEqual([f!.id]);
    });
  });
}
