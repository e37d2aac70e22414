import type { Logger } from "pino";
import type { Store } from "../store/port.ts";
import type { EventBus } from "./bus.ts";
import { LocalEventBus } from "./local-bus.ts";

/** The store's own bus when it spans instances (Redis), else one in this process. */
export function openEventBus(store: Store, log: Logger): EventBus {
  return store.openEvents?.(log) ?? new LocalEventBus(log);
}
