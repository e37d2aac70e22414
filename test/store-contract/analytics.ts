/** AnalyticsPort (src/store/ports/analytics.ts): first-reached stages as the funnel's columns, where chats stand. */
import { describe, expect, it } from "vitest";
import type { StageColumns, Store } from "../../src/store/port.ts";
import { STAGES, type Audience, type StageKey } from "../../src/model/domain.ts";
import { computeFunnel } from "../../src/analytics/funnel.ts";
import { T0, makeCommit, makeContact, makeConversation } from "../store-fixtures.ts";
import { stageRows } from "../support/store.ts";
import { eachStore, type OpenStore } from "./shared.ts";

export function analyticsContract(open: OpenStore): void {
  let store: Store;
  const each = () => eachStore(open, (s) => (store = s), () => store);

  // ---- analytics -------------------------------------------------------------------------
  describe("analytics", () => {
    each();
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
