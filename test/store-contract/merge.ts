/** MergePort (src/store/ports/merge.ts): two contacts found to be one person. */
import { describe, expect, it } from "vitest";
import type { Store } from "../../src/store/port.ts";
import { T0, makeCommit, makeContact, makeConversation, makeOrder, makeTouchpoint } from "../store-fixtures.ts";
import { stageRows, contactByIdentity } from "../support/store.ts";
import { eachStore, type OpenStore } from "./shared.ts";

export function mergeContract(open: OpenStore): void {
  let store: Store;
  const each = () => eachStore(open, (s) => (store = s), () => store);

  describe("merging contacts", () => {
    each();
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
}
