/**
 * The behaviour every Store must have (src/store/port.ts), one suite per port: each
 * file exports a function that registers its describe blocks for a store factory.
 * Each implementation runs them all: `storeContract("SqliteStore :memory:", () => ...)`.
 */
import { describe } from "vitest";
import type { Store } from "../../src/store/port.ts";
import { analyticsContract } from "./analytics.ts";
import { customerReadsContract } from "./customers.ts";
import { journalContract } from "./journal.ts";
import { kvContract } from "./kv.ts";
import { lifecycleContract } from "./lifecycle.ts";
import { mergeContract } from "./merge.ts";
import { outboxContract } from "./outbox.ts";
import type { OpenStore } from "./shared.ts";
import { stepContract } from "./step.ts";
import { timerContract } from "./timers.ts";

export * from "../store-fixtures.ts";
export { columnsOf } from "./analytics.ts";
export { analyticsContract, customerReadsContract, journalContract, kvContract, lifecycleContract, mergeContract, outboxContract, stepContract, timerContract };

export function storeContract(name: string, open: OpenStore, opts: { reopen?: (s: Store) => Promise<Store> } = {}): void {
  describe(name, () => {
    journalContract(open);
    stepContract(open);
    customerReadsContract(open);
    mergeContract(open);
    outboxContract(open);
    timerContract(open);
    analyticsContract(open);
    kvContract(open, opts.reopen);
    lifecycleContract(open, opts.reopen);
  });
}
