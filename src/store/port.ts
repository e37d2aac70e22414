import type { KeyValuePort } from "./kv.ts";
import type { SentAfterPort } from "./sent-after.ts";
import type { JournalPort } from "./ports/journal.ts";
import type { StepPort } from "./ports/step.ts";
import type { OutboxPort } from "./ports/outbox.ts";
import type { TimerPort } from "./ports/timers.ts";
import type { CustomerReads } from "./ports/customers.ts";
import type { MergePort } from "./ports/merge.ts";
import type { AnalyticsPort } from "./ports/analytics.ts";
import type { StoreLifecycle } from "./ports/lifecycle.ts";

export type * from "./ports/journal.ts";
export type * from "./ports/step.ts";
export type * from "./ports/outbox.ts";
export type * from "./ports/timers.ts";
export type * from "./ports/customers.ts";
export type * from "./ports/merge.ts";
export type * from "./ports/analytics.ts";
export type * from "./ports/lifecycle.ts";
export type { KeyValuePort } from "./kv.ts";
export type { SentAfterPort } from "./sent-after.ts";

/**
 * Everything a store implements (embedded SQLite, Redis): the ports by concern under
 * src/store/ports/, the key-value records (kv.ts) and the web chat's read (sent-after.ts).
 * test/store-contract/ holds the suite each implementation must pass, one file per port.
 *
 * Consumers take only the ports they use (the worker: journal, step, merge, reads…);
 * the app's wiring and the CLI that opens a store take the whole of it.
 */
export interface Store
  extends JournalPort,
    StepPort,
    OutboxPort,
    TimerPort,
    CustomerReads,
    MergePort,
    AnalyticsPort,
    StoreLifecycle,
    KeyValuePort,
    SentAfterPort {}
