/**
 * The behaviour every Store must have (src/store/port.ts). Each implementation runs
 * this suite: `storeContract("sqlite :memory:", () => ...)`. Times are explicit
 * (`now` arguments), so the suite is deterministic and needs no fake clock.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { InboundMessage } from "../src/model/inbound.ts";
import type { OutboxItem } from "../src/model/outbound.ts";
import type { StageColumns, Store } from "../src/store/port.ts";
import { STAGES, type Audience, type Conversation, type Order, type StageKey } from "../src/model/domain.ts";
import { computeFunnel } from "../src/analytics/funnel.ts";
import { kvCases } from "./kv-contract.ts";
import {
  T0,
  makeCommit,
  makeContact,
  makeConversation,
  makeMessage,
  makeOrder,
  makeOutboxItem,
  makeTouchpoint,
} from "./store-fixtures.ts";

export * from "./store-fixtures.ts";
import { stageRows, contactByIdentity } from "./support/store.ts";
import { MAX_MERGE_HOPS } from "../src/store/shared.ts";

const NOW = T0 + 1_000_000;
const LEASE = 30_000;

function keys(items: { conversationKey: string }[]): string[] {
  return items.map((i) => i.conversationKey);
}

export function storeContract(
  name: string,
  open: () => Promise<Store>,
  opts: { reopen?: (s: Store) => Promise<Store> } = {},
): void {
  describe(name, () => {
    let store: Store;
    beforeEach(async () => {
      store = await open();
    });
    afterEach(async () => {
      await store.close();
    });

    // ---- inbound journal ---------------------------------------------------------
    describe("inbound journal", () => {
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

    describe("commitStep", () => {
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

    // ---- contacts ------------------------------------------------------------------
    describe("contacts", () => {
      it("finds a contact by identity, phone and referral code", async () => {
        const c = makeContact({
          phone: "79990001122",
          name: "Оля",
          identities: [
            { channel: "telegram", userId: "11", reachable: true },
            { channel: "vk", userId: "22", reachable: false },
          ],
        });
        await store.commitStep(makeCommit({ contacts: [c, makeContact()] }));
        expect(await contactByIdentity(store, "telegram", "11")).toEqual(c);
        expect(await contactByIdentity(store, "vk", "22")).toEqual(c);
        expect(await contactByIdentity(store, "whatsapp", "11")).toBeNull();
        expect(await store.findContactByPhone("79990001122")).toEqual(c);
        expect(await store.findContactByPhone("70000000000")).toBeNull();
        expect(await store.findContactByReferralCode(c.referralCode)).toEqual(c);
        expect(await store.findContactByReferralCode("nope")).toBeNull();
      });

      it("keeps the identity index in step with each contact's identities", async () => {
        const c = makeContact({
          identities: [
            { channel: "telegram", userId: "11", reachable: true },
            { channel: "vk", userId: "22", reachable: true },
          ],
        });
        await store.commitStep(makeCommit({ contacts: [c] }));
        const fewer = { ...c, identities: [c.identities[0]!], updatedAt: T0 + 1 };
        await store.commitStep(makeCommit({ contacts: [fewer] }));
        expect(await contactByIdentity(store, "vk", "22")).toBeNull();
        expect(await contactByIdentity(store, "telegram", "11")).toEqual(fewer);
        const other = makeContact({ identities: [{ channel: "vk", userId: "22", reachable: true }] });
        await store.commitStep(makeCommit({ contacts: [other] }));
        expect((await contactByIdentity(store, "vk", "22"))!.id).toBe(other.id);
      });

      it("follows merge pointers to the contact that stands for the person now, by id, phone and identity; a chain past the hop limit is nobody", async () => {
        const live = makeContact({ identities: [{ channel: "vk", userId: "v1", reachable: true }] });
        const middle = makeContact({ mergedInto: live.id });
        const first = makeContact({ mergedInto: middle.id, phone: "79990007700", identities: [{ channel: "telegram", userId: "t1", reachable: true }] });
        const chain = Array.from({ length: MAX_MERGE_HOPS + 2 }, () => makeContact());
        chain.forEach((c, i) => i + 1 < chain.length && (c.mergedInto = chain[i + 1]!.id));
        await store.commitStep(makeCommit({ contacts: [live, middle, first, ...chain] }));
        expect(await store.liveContact(first.id)).toEqual(live);
        expect(await store.liveContact(live.id)).toEqual(live);
        expect(await store.findContactByPhone("79990007700")).toEqual(live);
        expect(await contactByIdentity(store, "telegram", "t1")).toEqual(live);
        expect(await store.liveContact(chain[1]!.id)).toEqual(chain.at(-1)); // MAX_MERGE_HOPS pointers
        expect(await store.liveContact(chain[0]!.id)).toBeNull(); // one more
        expect(await store.liveContact("ct_missing")).toBeNull();
      });

      it("lists contacts by audience and balance, most at risk first, without merged ones", async () => {
        const a = makeContact({ balance: -20, updatedAt: T0 + 1 });
        const b = makeContact({ balance: -5, updatedAt: T0 + 2 });
        const c = makeContact({ balance: 3, updatedAt: T0 + 3 });
        const p = makeContact({ audience: "partner", balance: -30, updatedAt: T0 + 4 });
        const gone = makeContact({ balance: -50, mergedInto: c.id });
        await store.commitStep(makeCommit({ contacts: [a, b, c, p, gone] }));
        expect((await store.listContacts({ balanceBelow: 0, audience: "customer" })).map((x) => x.id)).toEqual([
          a.id,
          b.id,
        ]);
        expect((await store.listContacts({ balanceBelow: 0 })).map((x) => x.id)).toEqual([p.id, a.id, b.id]);
        expect((await store.listContacts({ balanceBelow: 0, limit: 1 })).map((x) => x.id)).toEqual([p.id]);
        const customers = await store.listContacts({ audience: "customer" });
        expect(customers.map((x) => x.id).sort()).toEqual([a.id, b.id, c.id].sort());
        expect(await store.listContacts({ audience: "press" })).toEqual([]);
      });

      it("merges one contact into another in one step", async () => {
        const from = makeContact({
          name: "Ольга",
          phone: "79990001122",
          source: "qr_shop",
          identities: [
            { channel: "whatsapp", userId: "79990001122", reachable: true },
            { channel: "telegram", userId: "11", reachable: true },
          ],
          stagesReached: { awareness: T0 + 10, interest: T0 + 20, action: T0 + 500 },
          stage: "action",
          balance: -12,
          orderCount: 1,
          bonusPoints: 100,
          createdAt: T0,
        });
        const into = makeContact({
          identities: [{ channel: "telegram", userId: "11", reachable: true }],
          source: "ad_vk",
          stagesReached: { awareness: T0 + 50, interest: T0 + 5, desire: T0 + 60 },
          stage: "desire",
          balance: 3,
          orderCount: 2,
          bonusPoints: 50,
          createdAt: T0 + 1,
        });
        const conv = makeConversation({ channel: "whatsapp", chatId: "79990001122", contactId: from.id });
        const tpFrom = makeTouchpoint({ contactId: from.id, at: T0 + 10, summary: "from" });
        const tpInto = makeTouchpoint({ contactId: into.id, at: T0 + 20, summary: "into" });
        const order = makeOrder({ contactId: from.id });
        await store.commitStep(
          makeCommit({ conversation: conv, contacts: [from, into], touchpoints: [tpFrom, tpInto], orders: [order] }),
        );

        const merged = await store.mergeContacts(from.id, into.id);
        expect(merged.id).toBe(into.id);
        expect(merged.mergedInto).toBeUndefined();
        expect(merged.name).toBe("Ольга");
        expect(merged.phone).toBe("79990001122");
        expect(merged.source).toBe("ad_vk");
        expect(merged.referralCode).toBe(into.referralCode);
        expect(merged.balance).toBe(-9);
        expect(merged.orderCount).toBe(3);
        expect(merged.bonusPoints).toBe(150);
        expect(merged.stagesReached).toEqual({
          awareness: T0 + 10,
          interest: T0 + 5,
          desire: T0 + 60,
          action: T0 + 500,
        });
        expect(merged.identities.map((i) => `${i.channel}:${i.userId}`).sort()).toEqual([
          "telegram:11",
          "whatsapp:79990001122",
        ]);
        expect(await store.getContact(into.id)).toEqual(merged);
        expect((await store.getContact(from.id))!.mergedInto).toBe(into.id);

        // every find now lands on the target
        expect((await contactByIdentity(store, "whatsapp", "79990001122"))!.id).toBe(into.id);
        expect((await store.findContactByPhone("79990001122"))!.id).toBe(into.id);
        expect((await store.findContactByReferralCode(from.referralCode))!.id).toBe(into.id);
        expect((await store.listContacts({})).map((c) => c.id)).toEqual([into.id]);

        // history moved over
        expect((await store.listTouchpoints(into.id)).map((t) => t.summary)).toEqual(["from", "into"]);
        expect((await store.listTouchpoints(into.id)).every((t) => t.contactId === into.id)).toBe(true);
        expect(await store.listTouchpoints(from.id)).toEqual([]);
        expect((await store.getOrder(order.id))!.contactId).toBe(into.id);
        expect((await store.listOrders({ contactId: into.id })).map((o) => o.id)).toEqual([order.id]);
        expect((await store.getConversation(conv.key))!.contactId).toBe(into.id);
        expect((await store.listConversations({ contactId: into.id })).map((c) => c.key)).toEqual([conv.key]);
        expect(await store.listConversations({ contactId: from.id })).toEqual([]);

        // the person is counted once, at the earliest time per stage
        const rows = await stageRows(store, 0, T0 + 1000);
        expect(rows.map((e) => [e.stage, e.at])).toEqual([
          ["interest", T0 + 5],
          ["awareness", T0 + 10],
          ["desire", T0 + 60],
          ["action", T0 + 500],
        ]);
        expect((await store.stageColumns(0, T0 + 1000)).at.awareness.filter((t) => !Number.isNaN(t))).toHaveLength(1);
      });

      it("refuses to merge a contact it does not have", async () => {
        const c = makeContact();
        await store.commitStep(makeCommit({ contacts: [c] }));
        await expect(store.mergeContacts("ct_missing", c.id)).rejects.toThrow();
        await expect(store.mergeContacts(c.id, "ct_missing")).rejects.toThrow();
        expect(await store.getContact(c.id)).toEqual(c);
      });
    });

    // ---- touchpoints, orders, conversations -------------------------------------
    describe("touchpoints, orders, conversations", () => {
      it("lists a contact's touchpoints in time order, ties in insertion order, the latest `limit`", async () => {
        const t3 = makeTouchpoint({ contactId: "c1", at: T0 + 3, summary: "3" });
        const t1 = makeTouchpoint({ contactId: "c1", at: T0 + 1, summary: "1" });
        const t2a = makeTouchpoint({ contactId: "c1", at: T0 + 2, summary: "2a" });
        const t2b = makeTouchpoint({ contactId: "c1", at: T0 + 2, summary: "2b" });
        await store.commitStep(makeCommit({ touchpoints: [t3, t1, t2a] }));
        await store.commitStep(makeCommit({ touchpoints: [t2b, makeTouchpoint({ contactId: "c2" })] }));
        expect((await store.listTouchpoints("c1")).map((t) => t.summary)).toEqual(["1", "2a", "2b", "3"]);
        expect((await store.listTouchpoints("c1", 2)).map((t) => t.summary)).toEqual(["2b", "3"]);
        expect(await store.listTouchpoints("c3")).toEqual([]);
      });

      it("upserts orders and lists them newest first, by contact and status", async () => {
        const o1 = makeOrder({ contactId: "c1", createdAt: T0 + 1 });
        const o2 = makeOrder({ contactId: "c1", createdAt: T0 + 2 });
        const o3 = makeOrder({ contactId: "c2", createdAt: T0 + 3 });
        await store.commitStep(makeCommit({ orders: [o1, o2, o3] }));
        const shipped: Order = { ...o1, status: "shipped", updatedAt: T0 + 10 };
        await store.commitStep(makeCommit({ orders: [shipped] }));
        expect(await store.getOrder(o1.id)).toEqual(shipped);
        expect((await store.listOrders({})).map((o) => o.id)).toEqual([o3.id, o2.id, o1.id]);
        expect((await store.listOrders({ contactId: "c1" })).map((o) => o.id)).toEqual([o2.id, o1.id]);
        expect((await store.listOrders({ status: "placed" })).map((o) => o.id)).toEqual([o3.id, o2.id]);
        expect((await store.listOrders({ status: "shipped", contactId: "c1" })).map((o) => o.id)).toEqual([o1.id]);
        expect((await store.listOrders({ limit: 1 })).map((o) => o.id)).toEqual([o3.id]);
      });

      it("lists conversations by handoff and contact, latest activity first", async () => {
        const a = makeConversation({ contactId: "c1", updatedAt: T0 + 1 });
        const b = makeConversation({
          contactId: "c1",
          updatedAt: T0 + 2,
          handoff: { queue: "sales", reason: "asked for a person", since: T0 + 2 },
        });
        const c = makeConversation({ contactId: "c2", updatedAt: T0 + 3 });
        for (const conv of [a, b, c]) await store.commitStep(makeCommit({ conversation: conv }));
        expect((await store.listConversations({})).map((x) => x.key)).toEqual([c.key, b.key, a.key]);
        expect((await store.listConversations({ inHandoff: true })).map((x) => x.key)).toEqual([b.key]);
        expect((await store.listConversations({ inHandoff: false })).map((x) => x.key)).toEqual([c.key, a.key]);
        expect((await store.listConversations({ contactId: "c1" })).map((x) => x.key)).toEqual([b.key, a.key]);
        expect((await store.listConversations({ limit: 1 })).map((x) => x.key)).toEqual([c.key]);
        // a handed-back conversation leaves the handoff list
        await store.commitStep(makeCommit({ conversation: { ...b, handoff: null, updatedAt: T0 + 4 } }));
        expect(await store.listConversations({ inHandoff: true })).toEqual([]);
      });
    });

    // ---- outbox ------------------------------------------------------------------------
    describe("outbox", () => {
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

    // ---- timers -------------------------------------------------------------------------
    describe("timers", () => {
      it("hands out a due timer until it is marked fired, once per token", async () => {
        const conv = makeConversation({
          channel: "vk",
          chatId: "2000000001",
          timers: {
            remind: { at: NOW + 1000, token: "t1", target: "cart_reminder" },
            later: { at: NOW + 99_000, token: "l1", target: "winback" },
          },
        });
        await store.commitStep(makeCommit({ conversation: conv }));
        expect(await store.dueTimers(NOW, 10)).toEqual([]);
        expect(await store.dueTimers(NOW + 1000, 10)).toEqual([
          { conversationKey: conv.key, channel: "vk", chatId: "2000000001", name: "remind", token: "t1", at: NOW + 1000 },
        ]);
        await store.markTimerFired(conv.key, "remind", "t1");
        expect(await store.dueTimers(NOW + 1000, 10)).toEqual([]);

        // the same timer written again stays fired
        await store.commitStep(makeCommit({ conversation: { ...conv, updatedAt: NOW } }));
        expect(await store.dueTimers(NOW + 1000, 10)).toEqual([]);

        // re-armed with a new token: due again; a stale token does not silence it
        const rearmed = { ...conv, timers: { ...conv.timers, remind: { at: NOW + 2000, token: "t2", target: "x" } } };
        await store.commitStep(makeCommit({ conversation: rearmed }));
        expect((await store.dueTimers(NOW + 2000, 10)).map((t) => t.token)).toEqual(["t2"]);
        await store.markTimerFired(conv.key, "remind", "t1");
        expect((await store.dueTimers(NOW + 2000, 10)).map((t) => t.token)).toEqual(["t2"]);

        // removed from the conversation: gone
        await store.commitStep(makeCommit({ conversation: { ...rearmed, timers: { later: conv.timers.later! } } }));
        expect(await store.dueTimers(NOW + 2000, 10)).toEqual([]);
        expect((await store.dueTimers(NOW + 99_000, 10)).map((t) => t.name)).toEqual(["later"]);
      });

      it("hands out the earliest due timers first, at most max", async () => {
        const convs = [3, 1, 2].map((i) =>
          makeConversation({ timers: { t: { at: NOW + i, token: `k${i}`, target: "x" } } }),
        );
        for (const c of convs) await store.commitStep(makeCommit({ conversation: c }));
        expect((await store.dueTimers(NOW + 10, 2)).map((t) => t.token)).toEqual(["k1", "k2"]);
      });
    });

    // ---- analytics -------------------------------------------------------------------------
    describe("analytics", () => {
      it("keeps the earliest time each stage was first reached, in [from, to)", async () => {
        const c = makeContact({ stagesReached: { awareness: T0 + 100, interest: T0 + 200 } });
        await store.commitStep(makeCommit({ contacts: [c] }));
        await store.commitStep(
          makeCommit({
            contacts: [{ ...c, stagesReached: { awareness: T0 + 50, interest: T0 + 300, desire: T0 + 400 } }],
          }),
        );
        const all = await stageRows(store, T0, T0 + 1000);
        expect(all.map((e) => [e.stage, e.at])).toEqual([
          ["awareness", T0 + 50],
          ["interest", T0 + 200],
          ["desire", T0 + 400],
        ]);
        expect((await stageRows(store, T0 + 200, T0 + 400)).map((e) => e.stage)).toEqual(["interest"]);
      });

      it("carries each entry's audience and source and filters by audience", async () => {
        const guest = makeContact({ source: "qr_door", stagesReached: { awareness: T0 + 1 } });
        const partner = makeContact({ audience: "partner", stagesReached: { awareness: T0 + 2 } });
        await store.commitStep(makeCommit({ contacts: [guest, partner] }));
        expect(await stageRows(store, T0, T0 + 10)).toEqual([
          { stage: "awareness", at: T0 + 1, source: "qr_door" },
          { stage: "awareness", at: T0 + 2 },
        ]);
        expect(await stageRows(store, T0, T0 + 10, "partner")).toEqual([{ stage: "awareness", at: T0 + 2 }]);
        expect(await stageRows(store, T0, T0 + 10, "customer")).toEqual([{ stage: "awareness", at: T0 + 1, source: "qr_door" }]);
        expect(await stageRows(store, T0, T0 + 10, "press")).toEqual([]);
      });

      it("gives the funnel the same stages as columns: earliest times, merges, audiences, days apart", async () => {
        const DAY = 86_400_000;
        const a = makeContact({ source: "qr_door", stagesReached: { awareness: T0 + 10, interest: T0 + DAY + 5 } });
        const b = makeContact({ stagesReached: { awareness: T0 + 20, interest: T0 + 30, action: T0 + 2 * DAY } });
        const p = makeContact({ audience: "partner", stagesReached: { awareness: T0 + 40 } });
        await store.commitStep(makeCommit({ contacts: [a, b, p] }));
        // an earlier time found later wins, and the later one no longer counts
        await store.commitStep(makeCommit({ contacts: [{ ...a, stagesReached: { ...a.stagesReached, interest: T0 + 15 } }] }));
        // b turns out to be a: b's stages move over, b itself counts no more
        await store.mergeContacts(b.id, a.id);
        const periods: [number, number, Audience?][] = [
          [T0, T0 + 3 * DAY],
          [T0 + 12, T0 + DAY + 10],
          [T0 + DAY, T0 + 3 * DAY],
          [T0, T0 + 3 * DAY, "partner"],
          [T0, T0 + 3 * DAY, "press"],
        ];
        // what the stages are after all that: a's earliest times with b's action, and the partner
        const expected: StageEntry[] = [
          { contactId: a.id, stage: "awareness", at: T0 + 10, audience: "customer", source: "qr_door" },
          { contactId: a.id, stage: "interest", at: T0 + 15, audience: "customer", source: "qr_door" },
          { contactId: a.id, stage: "action", at: T0 + 2 * DAY, audience: "customer", source: "qr_door" },
          { contactId: p.id, stage: "awareness", at: T0 + 40, audience: "partner" },
        ];
        for (const [from, to, audience] of periods) {
          const inPeriod = expected.filter((e) => e.at >= from && e.at < to && (audience === undefined || e.audience === audience));
          expect(computeFunnel(await store.stageColumns(from, to, audience)), `[${from - T0}, ${to - T0}) ${audience ?? ""}`).toEqual(
            computeFunnel(columnsOf(inPeriod)),
          );
        }
        const all = computeFunnel(await store.stageColumns(T0, T0 + 3 * DAY));
        expect(all.rows.find((r) => r.stage === "awareness")?.reached).toBe(2); // a and the partner
        expect(all.rows.find((r) => r.stage === "interest")).toMatchObject({ reached: 1, medianMsFromPrevious: 5 });
        expect(all.sources).toEqual([
          { source: "direct", contacts: 1, ordered: 0 },
          { source: "qr_door", contacts: 1, ordered: 1 },
        ]);
      });

      it("counts where conversations stand, without ended or handed-off ones", async () => {
        const guest = makeContact();
        const partner = makeContact({ audience: "partner" });
        const convs = [
          makeConversation({ contactId: guest.id, flow: "main", step: "menu", updatedAt: T0 + 1 }),
          makeConversation({ contactId: guest.id, flow: "main", step: "menu", updatedAt: T0 + 5 }),
          makeConversation({ contactId: guest.id, flow: "main", step: "checkout", updatedAt: T0 + 1 }),
          makeConversation({ contactId: partner.id, flow: "partner", step: "intro", updatedAt: T0 + 1 }),
          makeConversation({ contactId: guest.id, flow: "main", step: null, updatedAt: T0 + 1 }),
          makeConversation({
            contactId: guest.id,
            flow: "main",
            step: "menu",
            updatedAt: T0 + 1,
            handoff: { queue: "sales", reason: "person", since: T0 },
          }),
        ];
        await store.commitStep(makeCommit({ contacts: [guest, partner] }));
        for (const conv of convs) await store.commitStep(makeCommit({ conversation: conv }));
        const sort = (rows: { flow: string; step: string; count: number }[]) =>
          [...rows].sort((a, b) => `${a.flow}/${a.step}`.localeCompare(`${b.flow}/${b.step}`));
        expect(sort(await store.stepCounts({}))).toEqual([
          { flow: "main", step: "checkout", count: 1 },
          { flow: "main", step: "menu", count: 2 },
          { flow: "partner", step: "intro", count: 1 },
        ]);
        expect(sort(await store.stepCounts({ audience: "partner" }))).toEqual([
          { flow: "partner", step: "intro", count: 1 },
        ]);
        expect(sort(await store.stepCounts({ audience: "customer", idleSince: T0 + 2 }))).toEqual([
          { flow: "main", step: "checkout", count: 1 },
          { flow: "main", step: "menu", count: 1 },
        ]);
      });
    });

    describe("key-value records", () => {
      const reopen = opts.reopen;
      kvCases(() => store, reopen ? async () => void (store = await reopen(store)) : undefined);
    });

    // ---- lifecycle ---------------------------------------------------------------------------
    it("answers ping", async () => {
      await expect(store.ping()).resolves.toBeUndefined();
    });

    if (opts.reopen) {
      const reopen = opts.reopen;
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

/** a contact's first-reached stage, as a test expects it */
interface StageEntry {
  contactId: string;
  stage: StageKey;
  at: number;
  audience: Audience;
  source?: string;
}

/** the reference: StageEntry rows (what a test expects) as the funnel's columns */
export function columnsOf(entries: StageEntry[]): StageColumns {
  const index = new Map<string, number>();
  const sources: (string | undefined)[] = [];
  const pairs = STAGES.map(() => [] as number[]); // [contact, at, …] per stage
  const stageIndex = new Map<StageKey, number>(STAGES.map((s, i) => [s, i]));
  for (const e of entries) {
    let id = index.get(e.contactId);
    if (id === undefined) {
      id = sources.length;
      index.set(e.contactId, id);
      sources.push(e.source);
    }
    pairs[stageIndex.get(e.stage)!]!.push(id, e.at);
  }
  const n = sources.length;
  const at = {} as Record<StageKey, Float64Array>;
  STAGES.forEach((stage, s) => {
    const column = new Float64Array(n).fill(Number.NaN);
    const list = pairs[s]!;
    for (let i = 0; i < list.length; i += 2) column[list[i]!] = list[i + 1]!;
    at[stage] = column;
  });
  return { contacts: n, sources, at };
}
