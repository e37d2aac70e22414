import type { Logger } from "pino";
import type { StoreLifecycle } from "../store/port.ts";
import type { EventBus } from "./bus.ts";
import { LocalEventBus } from "./local-bus.ts";

/** The store's own bus when it spans instances (Redis), else one in this process. */
export function openEventBus(store: StoreLifecycle, log: Logger): EventBus {
  return store.openEvents?.(log) ?? new LocalEventBus(log);
}
