import type { Logger } from "pino";
import type { EventBus } from "../../events/bus.ts";

/** which store this is (messages, the health check) */
export interface StoreKind {
  readonly kind: "sqlite" | "redis";
}

export interface StoreLifecycle extends StoreKind {
  /**
   * The live-event bus across every instance sharing this store (Redis: a capped
   * stream). A store without one serves a single process: the app uses an in-process bus.
   */
  openEvents?(log: Logger): EventBus;
  ping(): Promise<void>;
  close(): Promise<void>;
}
