import type { Bundle } from "../../engine/bundle.ts";
import type { InboundEvent } from "../../model/inbound.ts";
import type { CustomerReads, EnqueueOutcome, JournalPort, OutboxReads } from "../../store/port.ts";

export interface StaffApiDeps {
  /** reads for staff, the dead journal entries and the outbox they act on */
  store: CustomerReads & JournalPort & OutboxReads;
  ingest: (events: InboundEvent[]) => Promise<EnqueueOutcome[]>;
  token: string | undefined;
  bundle: () => Bundle;
  now: () => number;
}

/** every resource's plugin needs the zod schemas and the bearer gate registered before it */
export const NEEDS = { fastify: "5.x", dependencies: ["api-schemas", "api-token"] };
