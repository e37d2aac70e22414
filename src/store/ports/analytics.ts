import type { Audience, StageKey } from "../../model/domain.ts";
import type { ReportReads } from "../report-reads.ts";

/**
 * The funnel's input in columns: contacts numbered 0..contacts-1 (a store may leave
 * numbers unused: a contact with no stage in the period counts nowhere), and per
 * stage each contact's first-reached time when it falls in the period (NaN if not).
 */
export interface StageColumns {
  contacts: number;
  /** per contact number: where the contact came from (undefined: direct) */
  sources: (string | undefined)[];
  at: Record<StageKey, Float64Array>;
}

export interface StepCount {
  flow: string;
  step: string;
  count: number;
}

/** the owner's reports */
export interface AnalyticsPort {
  /** the first-reached stages of live contacts with `at` in [from, to), as columns for the funnel (no object per entry) */
  stageColumns(from: number, to: number, audience?: Audience): Promise<StageColumns>;
  /** where conversations currently stand, for drop-off */
  stepCounts(filter: { audience?: Audience; idleSince?: number }): Promise<StepCount[]>;
  /** the owner's reports' reads (src/store/report-reads.ts); absent on test-only stores */
  reportReads?(): ReportReads;
}
