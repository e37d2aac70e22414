/** CustomerReads (src/store/ports/customers.ts): contacts, touchpoints, orders, conversations. */
import { describe, expect, it } from "vitest";
import type { Store } from "../../src/store/port.ts";
import { type Order } from "../../src/model/domain.ts";
import { T0, makeCommit, makeContact, makeConversation, makeOrder, makeTouchpoint } from "../store-fixtures.ts";
import { contactByIdentity } from "../support/store.ts";
import { MAX_MERGE_HOPS } from "../../src/store/shared.ts";
import { eachStore, type OpenStore } from "./shared.ts";

export function customerReadsContract(open: OpenStore): void {
  let store: Store;
  const each = () => eachStore(open, (s) => (store = s), () => store);

  // ---- contacts ------------------------------------------------------------------
  describe("contacts", () => {
    each();
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
  });

  // ---- touchpoints, orders, conversations -------------------------------------
  describe("touchpoints, orders, conversations", () => {
    each();
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
}
