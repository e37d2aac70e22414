import type { Logger } from "pino";
import type { EventBus } from "../../events/bus.ts";

export interface StoreLifecycle {
  readonly kind: "sqlite" | "redis";
  /**
   * The live-event bus across every instance sharing this store (Redis: a capped
   * stream). A store without one serves a single process: the app uses an in-process bus.
   */
  openEvents?(log: Logger): EventBus;
  ping(): Promise<void>;
  close(): Promise<void>;
}
