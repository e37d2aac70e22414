/** TimerPort (src/store/ports/timers.ts): due timers, each handed out once per token. */
import { describe, expect, it } from "vitest";
import type { Store } from "../../src/store/port.ts";
import { makeCommit, makeConversation } from "../store-fixtures.ts";
import { NOW, eachStore, type OpenStore } from "./shared.ts";

export function timerContract(open: OpenStore): void {
  let store: Store;
  const each = () => eachStore(open, (s) => (store = s), () => store);

  // ---- timers -------------------------------------------------------------------------
  describe("timers", () => {
    each();
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
}
