/** JournalPort (src/store/ports/journal.ts): dedupe, per-conversation order, leases, dead entries; and the leases other writes take on the way. */
import { describe, expect, it } from "vitest";
import type { InboundMessage } from "../../src/model/inbound.ts";
import type { Store } from "../../src/store/port.ts";
import { T0, makeCommit, makeContact, makeConversation, makeMessage, makeOrder, makeOutboxItem, makeTouchpoint } from "../store-fixtures.ts";
import { LEASE, NOW, keys, eachStore, type OpenStore } from "./shared.ts";

export function journalContract(open: OpenStore): void {
  let store: Store;
  const each = () => eachStore(open, (s) => (store = s), () => store);

  // ---- inbound journal ---------------------------------------------------------
  describe("inbound journal", () => {
    each();
    it("queues a new key once: the same key again is a duplicate, across calls and within one batch", async () => {
      const a = makeMessage({ dedupeKey: "u1" });
      const b = makeMessage({ dedupeKey: "u2" });
      expect(await store.enqueue([a, { ...a, text: "redelivered" }, b])).toEqual(["queued", "duplicate", "queued"]);
      expect(await store.enqueue([b, makeMessage({ dedupeKey: "u3" }), a])).toEqual([
        "duplicate",
        "queued",
        "duplicate",
      ]);
      expect(await store.enqueue([])).toEqual([]);
      expect(await store.pendingInbound()).toBe(3);
    });

    it("scopes dedupe keys by channel", async () => {
      const out = await store.enqueue([
        makeMessage({ channel: "telegram", dedupeKey: "42" }),
        makeMessage({ channel: "vk", dedupeKey: "42" }),
        makeMessage({ channel: "whatsapp", dedupeKey: "42" }),
      ]);
      expect(out).toEqual(["queued", "queued", "queued"]);
    });

    it("still knows a key after its entry was processed", async () => {
      const m = makeMessage();
      await store.enqueue([m]);
      const [entry] = await store.claimInbound("w1", 10, LEASE, NOW);
      await store.commitStep(makeCommit({ entryId: entry!.id }));
      expect(await store.pendingInbound()).toBe(0);
      expect(await store.enqueue([m])).toEqual(["duplicate"]);
      expect(await store.pendingInbound()).toBe(0);
    });

    it("hands out the entry as it was enqueued", async () => {
      const m = makeMessage({ chatId: "555", at: T0 + 123, text: "хочу чай", hints: { keyboard: true } });
      await store.enqueue([m]);
      const claimed = await store.claimInbound("w1", 10, LEASE, NOW);
      expect(claimed).toHaveLength(1);
      const e = claimed[0]!;
      expect(typeof e.id).toBe("string");
      expect(e.conversationKey).toBe("telegram:555");
      expect(e.event).toEqual(m);
      expect(e.enqueuedAt).toBe(T0 + 123);
      expect(e.attempts).toBe(1);
    });

    it("hands out at most one entry per conversation, always the oldest, in order over 20 entries", async () => {
      const chats = ["a", "b", "c"];
      const sent: Record<string, string[]> = { a: [], b: [], c: [] };
      const events = Array.from({ length: 20 }, (_, i) => {
        const chat = chats[i % 3 === 2 ? 2 : i % 2]!;
        sent[chat]!.push(String(i));
        return makeMessage({ chatId: chat, text: String(i) });
      });
      await store.enqueue(events.slice(0, 10));
      await store.enqueue(events.slice(10));
      const seen: Record<string, string[]> = { a: [], b: [], c: [] };
      let rounds = 0;
      for (;;) {
        const batch = await store.claimInbound("w1", 10, LEASE, NOW + rounds);
        if (batch.length === 0) break;
        expect(new Set(keys(batch)).size).toBe(batch.length);
        // while those are out, nobody gets another entry of the same conversations
        const other = await store.claimInbound("w2", 10, LEASE, NOW + rounds);
        for (const k of keys(other)) expect(keys(batch)).not.toContain(k);
        for (const e of [...batch, ...other]) {
          const m = e.event as InboundMessage;
          seen[m.chatId]!.push(m.text!);
          await store.commitStep(makeCommit({ entryId: e.id }));
        }
        rounds++;
        expect(rounds).toBeLessThan(25);
      }
      expect(seen).toEqual(sent);
      expect(await store.pendingInbound()).toBe(0);
    });

    it("serves conversations oldest first and skips one whose entry is out", async () => {
      await store.enqueue([
        makeMessage({ chatId: "a", text: "a1" }),
        makeMessage({ chatId: "b", text: "b1" }),
        makeMessage({ chatId: "c", text: "c1" }),
        makeMessage({ chatId: "a", text: "a2" }),
      ]);
      const first = await store.claimInbound("w1", 2, LEASE, NOW);
      expect(first.map((e) => (e.event as InboundMessage).text)).toEqual(["a1", "b1"]);
      const second = await store.claimInbound("w2", 5, LEASE, NOW);
      expect(second.map((e) => (e.event as InboundMessage).text)).toEqual(["c1"]);
      await store.commitStep(makeCommit({ entryId: first[0]!.id }));
      const third = await store.claimInbound("w2", 5, LEASE, NOW);
      expect(third.map((e) => (e.event as InboundMessage).text)).toEqual(["a2"]);
      expect(await store.pendingInbound()).toBe(3);
    });

    it("lets anyone take an entry again once its lease ran out, counting the attempt", async () => {
      await store.enqueue([makeMessage({ chatId: "a" }), makeMessage({ chatId: "a" })]);
      const [first] = await store.claimInbound("w1", 10, 1000, NOW);
      expect(first!.attempts).toBe(1);
      expect(await store.claimInbound("w2", 10, 1000, NOW + 999)).toEqual([]);
      const again = await store.claimInbound("w2", 10, 1000, NOW + 1001);
      expect(again).toHaveLength(1);
      expect(again[0]!.id).toBe(first!.id);
      expect(again[0]!.attempts).toBe(2);
      expect(await store.pendingInbound()).toBe(2);
    });

    it("puts a released entry back in front of the later ones of its conversation", async () => {
      await store.enqueue([makeMessage({ chatId: "a", text: "1" }), makeMessage({ chatId: "a", text: "2" })]);
      const [e1] = await store.claimInbound("w1", 10, LEASE, NOW);
      await store.releaseInbound(e1!.id, "boom", 5);
      expect(await store.pendingInbound()).toBe(2);
      const again = await store.claimInbound("w1", 10, LEASE, NOW);
      expect(again.map((e) => e.id)).toEqual([e1!.id]);
      expect(again[0]!.attempts).toBe(2);
      expect(await store.deadInbound(10)).toEqual([]);
    });

    it("parks an entry as dead after maxAttempts and moves on to the next one", async () => {
      const m1 = makeMessage({ chatId: "a", text: "1" });
      await store.enqueue([m1, makeMessage({ chatId: "a", text: "2" })]);
      let id = "";
      for (let i = 1; i <= 3; i++) {
        const got = await store.claimInbound("w1", 10, LEASE, NOW + i);
        expect(got.map((e) => (e.event as InboundMessage).text)).toEqual(["1"]);
        id = got[0]!.id;
        await store.releaseInbound(id, `boom ${i}`, 3);
      }
      const dead = await store.deadInbound(10);
      expect(dead).toHaveLength(1);
      expect(dead[0]!.error).toBe("boom 3");
      expect(dead[0]!.entry.id).toBe(id);
      expect(dead[0]!.entry.event).toEqual(m1);
      expect(dead[0]!.entry.attempts).toBe(3);
      expect(await store.pendingInbound()).toBe(1);
      const next = await store.claimInbound("w1", 10, LEASE, NOW + 10);
      expect(next.map((e) => (e.event as InboundMessage).text)).toEqual(["2"]);
      // a dead entry is not handed out again
      await store.commitStep(makeCommit({ entryId: next[0]!.id }));
      expect(await store.claimInbound("w1", 10, LEASE, NOW + 10 * LEASE)).toEqual([]);
    });

    it("puts a dead entry back at the back of its conversation on retry, or drops it on discard", async () => {
      const [m1, m2, m3] = ["1", "2", "3"].map((text) => makeMessage({ chatId: "a", text }));
      const other = makeMessage({ chatId: "b", text: "b1" });
      await store.enqueue([m1!, m2!, other]);
      const park = async (now: number) => {
        const [e] = await store.claimInbound("w1", 1, LEASE, now);
        await store.releaseInbound(e!.id, "boom", 1);
        return e!;
      };
      const dead1 = await park(NOW); // "1" dies
      expect((await store.deadInbound(10)).map((d) => d.entry.id)).toEqual([dead1.id]);
      await store.enqueue([m3!]);

      // retry: a new id, attempts 0, queued behind "2" and "3", which still wait
      const back = await store.retryDeadInbound(dead1.id);
      expect(back).toMatchObject({ conversationKey: dead1.conversationKey, event: m1, enqueuedAt: dead1.enqueuedAt, attempts: 0 });
      expect(back!.id).not.toBe(dead1.id);
      expect(await store.deadInbound(10)).toEqual([]);
      expect(await store.pendingInbound()).toBe(4);
      const texts: string[] = [];
      for (let i = 0; i < 5; i++) {
        for (const e of await store.claimInbound("w1", 10, LEASE, NOW + i)) {
          if (e.conversationKey === dead1.conversationKey) texts.push((e.event as InboundMessage).text ?? "");
          await store.commitStep(makeCommit({ entryId: e.id }));
        }
      }
      expect(texts).toEqual(["2", "3", "1"]);
      // a retried entry is a live one: retrying it again (or the old id) does nothing
      expect(await store.retryDeadInbound(dead1.id)).toBeNull();
      expect(await store.retryDeadInbound(back!.id)).toBeNull();

      // retry into an empty conversation: handed out as its head
      await store.enqueue([makeMessage({ chatId: "c", text: "c1" })]);
      const deadC = await park(NOW + 10);
      expect(await store.claimInbound("w1", 10, LEASE, NOW + 11)).toEqual([]);
      const backC = await store.retryDeadInbound(deadC.id);
      expect((await store.claimInbound("w1", 10, LEASE, NOW + 12)).map((e) => e.id)).toEqual([backC!.id]);
      await store.commitStep(makeCommit({ entryId: backC!.id }));

      // discard: gone from the dead list and the queue; the dedupe key stays
      const m4 = makeMessage({ chatId: "d", text: "d1" });
      await store.enqueue([m4]);
      const deadD = await park(NOW + 20);
      expect(await store.discardDeadInbound(deadD.id)).toBe(true);
      expect(await store.discardDeadInbound(deadD.id)).toBe(false);
      expect(await store.deadInbound(10)).toEqual([]);
      expect(await store.claimInbound("w1", 10, LEASE, NOW + 21 + LEASE)).toEqual([]);
      expect(await store.enqueue([m4])).toEqual(["duplicate"]);
      expect(await store.discardDeadInbound("in_missing")).toBe(false);
      expect(await store.retryDeadInbound("in_missing")).toBeNull();
    });

    it("ignores a release of an entry it does not have", async () => {
      await store.releaseInbound("in_missing", "boom", 1);
      expect(await store.deadInbound(10)).toEqual([]);
    });

    it("refuses a commit for an entry that is gone (a second worker whose lease ran out): nothing lands", async () => {
      await store.enqueue([makeMessage({ chatId: "a" })]);
      const [slow] = await store.claimInbound("slow", 10, 1000, NOW);
      const [fast] = await store.claimInbound("fast", 10, 1000, NOW + 2000);
      expect(fast!.id).toBe(slow!.id);
      const tpFast = makeTouchpoint({ contactId: "c1", summary: "fast" });
      await store.commitStep(makeCommit({ entryId: fast!.id, touchpoints: [tpFast] }));
      const tpSlow = makeTouchpoint({ contactId: "c1", summary: "slow", at: T0 + 1 });
      await expect(store.commitStep(makeCommit({ entryId: slow!.id, touchpoints: [tpSlow] }))).rejects.toThrow();
      expect(await store.listTouchpoints("c1")).toEqual([tpFast]);
    });
  });

  // ---- commitStep --------------------------------------------------------------
  describe("leases taken on the way", () => {
    each();
    const lease = (max: number, turnOrders?: number) => ({
      workerId: "w1",
      leaseMs: LEASE,
      now: NOW,
      max,
      ...(turnOrders !== undefined ? { turnOrders } : {}),
    });

    it("enqueue leases a chat's only entry to the caller, up to max; a chat already busy waits its turn", async () => {
      const a1 = makeMessage({ chatId: "a", text: "1" });
      const a2 = makeMessage({ chatId: "a", text: "2" });
      const b1 = makeMessage({ chatId: "b", text: "1" });
      const c1 = makeMessage({ chatId: "c", text: "1" });
      const first = await store.enqueueAndClaim([a1, a2, b1, c1, a1], lease(2));
      expect(first.outcomes).toEqual(["queued", "queued", "queued", "queued", "duplicate"]);
      expect(first.claimed.map((e) => [e.conversationKey, e.event, e.attempts])).toEqual([
        ["telegram:a", a1, 1],
        ["telegram:b", b1, 1],
      ]);
      // leased: nobody else gets a or b; c (over max) is there for the taking
      expect((await store.claimInbound("w2", 10, LEASE, NOW)).map((e) => e.event)).toEqual([c1]);
      // a chat with an entry in hand: a new message is queued behind it, not leased
      const more = await store.enqueueAndClaim([makeMessage({ chatId: "b", text: "2" })], lease(5));
      expect(more).toEqual({ outcomes: ["queued"], claimed: [] });
      // the leases run out like any other (c's, taken by w2, too)
      expect((await store.claimInbound("w3", 10, LEASE, NOW + LEASE)).map((e) => e.conversationKey).sort()).toEqual([
        "telegram:a",
        "telegram:b",
        "telegram:c",
      ]);
    });

    it("a leased entry may come with what its step reads; otherwise loadTurn reads the same", async () => {
      const contact = makeContact({ identities: [{ channel: "telegram", userId: "t1", reachable: true }] });
      const conversation = makeConversation({ chatId: "t1", contactId: contact.id });
      const order = makeOrder({ contactId: contact.id });
      await store.commitStep(makeCommit({ conversation, contacts: [contact], orders: [order] }));
      const { claimed } = await store.enqueueAndClaim([makeMessage({ chatId: "t1" })], lease(1, 20));
      const read = await store.loadTurn("telegram:t1", "telegram", "t1", 20);
      expect(read.conversation?.key).toBe(conversation.key);
      expect(read.contact?.id).toBe(contact.id);
      expect(read.orders.map((o) => o.id)).toEqual([order.id]);
      if (claimed[0]!.turn) expect(claimed[0]!.turn).toEqual(read);
      expect(await store.loadTurn("telegram:nobody", "telegram", "nobody", 20)).toEqual({ conversation: null, contact: null, orders: [] });
    });

    it("commit leases the chat's next entry and the outbox heads it made due", async () => {
      const [m1, m2] = [makeMessage({ chatId: "a", text: "1" }), makeMessage({ chatId: "a", text: "2" })];
      const { claimed } = await store.enqueueAndClaim([m1, m2], lease(5));
      expect(claimed.map((e) => e.event)).toEqual([m1]);
      const due = makeOutboxItem({ chatId: "a", seq: 1 });
      const later = makeOutboxItem({ chatId: "a", seq: 2 });
      const notYet = makeOutboxItem({ chatId: "b", seq: 1, notBefore: NOW + 5000 });
      const result = await store.commitStep(makeCommit({ entryId: claimed[0]!.id, outbox: [later, due, notYet] }), {
        inbound: lease(1),
        outbox: { leaseMs: LEASE, now: NOW },
      });
      expect(result.next.map((e) => [e.event, e.attempts])).toEqual([[m2, 1]]);
      expect(result.outbox.map((i) => i.id)).toEqual([due.id]);
      // both are ours now: a claim finds nothing of chat a
      expect(await store.claimInbound("w2", 10, LEASE, NOW)).toEqual([]);
      expect(await store.claimOutbox(10, LEASE, NOW)).toEqual([]);
      // without leases a commit takes none
      const last = await store.commitStep(makeCommit({ entryId: result.next[0]!.id }));
      expect(last).toEqual({ next: [], outbox: [] });
    });

    it("markSent leases the chat's next item when it is due and free", async () => {
      const [a1, a2, a3] = [1, 2, 3].map((seq) => makeOutboxItem({ chatId: "a", seq, notBefore: seq === 3 ? NOW + 5000 : 0 }));
      await store.commitStep(makeCommit({ outbox: [a1!, a2!, a3!] }));
      const [head] = await store.claimOutbox(10, LEASE, NOW);
      expect(head?.id).toBe(a1!.id);
      const next = await store.markSent(a1!.id, ["m1"], NOW, { leaseMs: LEASE, now: NOW });
      expect(next.map((i) => i.id)).toEqual([a2!.id]);
      expect(await store.claimOutbox(10, LEASE, NOW)).toEqual([]);
      // a3 is not due yet: nothing to lease, and it waits its time
      expect(await store.markSent(a2!.id, ["m2"], NOW, { leaseMs: LEASE, now: NOW })).toEqual([]);
      expect((await store.claimOutbox(10, LEASE, NOW + 5000)).map((i) => i.id)).toEqual([a3!.id]);
    });
  });
}
