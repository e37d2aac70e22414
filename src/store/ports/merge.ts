import type { Contact } from "../../model/domain.ts";

export interface MergePort {
  /**
   * Fold `fromId` into `intoId` (same person found on two channels): identities,
   * touchpoints, orders, conversations and first-reached stages move over; `fromId`
   * keeps a `mergedInto` pointer.
   */
  mergeContacts(fromId: string, intoId: string): Promise<Contact>;
}
