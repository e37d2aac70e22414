import type { Bundle } from "../../engine/bundle.ts";
import type { InboundEvent } from "../../model/inbound.ts";
import type { EnqueueOutcome, Store } from "../../store/port.ts";

export interface StaffApiDeps {
  store: Store;
  ingest: (events: InboundEvent[]) => Promise<EnqueueOutcome[]>;
  token: string | undefined;
  bundle: () => Bundle;
  now: () => number;
}

/** every resource's plugin needs the zod schemas and the bearer gate registered before it */
export const NEEDS = { fastify: "5.x", dependencies: ["api-schemas", "api-token"] };
