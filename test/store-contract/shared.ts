/**
 * What the port suites share: the clock the suite runs at (times are explicit `now`
 * arguments, so it is deterministic and needs no fake clock) and a fresh store per test.
 */
import { afterEach, beforeEach } from "vitest";
import type { Store } from "../../src/store/port.ts";
import { T0 } from "../store-fixtures.ts";

export type OpenStore = () => Promise<Store>;

export const NOW = T0 + 1_000_000;
export const LEASE = 30_000;

export function keys(items: { conversationKey: string }[]): string[] {
  return items.map((i) => i.conversationKey);
}

/** a store of its own for each test of the enclosing describe block, closed after it */
export function eachStore(open: OpenStore, set: (s: Store) => void, get: () => Store): void {
  beforeEach(async () => {
    set(await open());
  });
  afterEach(async () => {
    await get().close();
  });
}
