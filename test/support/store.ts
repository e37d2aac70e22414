import type { Audience, Contact, StageKey } from "../../src/model/domain.ts";
import type { Channel } from "../../src/model/channel.ts";
import type { Store } from "../../src/store/port.ts";
import { STAGES } from "../../src/model/domain.ts";

/** Reads tests need that production does not (so not on the Store port). */

export interface StageRow {
  stage: StageKey;
  at: number;
  source?: string;
}

/**
 * A period's first-reached stages as the funnel reads them (stageColumns): a row per
 * contact and stage reached in [from, to), by time, then stage (STAGES order), then source.
 */
export async function stageRows(store: Store, from: number, to: number, audience?: Audience): Promise<StageRow[]> {
  const columns = await store.stageColumns(from, to, audience);
  const rows: (StageRow & { order: number })[] = [];
  STAGES.forEach((stage, order) => {
    columns.at[stage].forEach((at, cn) => {
      if (Number.isNaN(at)) return;
      const source = columns.sources[cn];
      rows.push(source === undefined ? { stage, at, order } : { stage, at, source, order });
    });
  });
  // rows alike but for the contact compare equal, whatever each store numbers its contacts
  const source = (r: StageRow) => r.source ?? "";
  return rows
    .sort((a, b) => a.at - b.at || a.order - b.order || (source(a) < source(b) ? -1 : source(a) > source(b) ? 1 : 0))
    .map(({ order: _, ...row }) => row);
}

/**
 * The live contact a platform identity stands for now (merges followed): loadTurn's
 * contact, read without a conversation or orders. Production reads it with loadTurn.
 */
export async function contactByIdentity(store: Pick<Store, "loadTurn">, channel: Channel, userId: string): Promise<Contact | null> {
  return (await store.loadTurn("", channel, userId, 0)).contact;
}
