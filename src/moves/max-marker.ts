import type { MarkerStore } from "../../adapters/max/index.ts";
import type { SmallKv } from "./kv.ts";

/** MAX long polling's marker in the key-value store: a restart resumes after the last queued batch. */
export function maxMarker(kv: SmallKv): MarkerStore {
  return {
    async get() {
      const v = await kv.kvGet("max", "poll-marker");
      const n = v === null ? NaN : Number(v);
      return Number.isSafeInteger(n) && n >= 0 ? n : undefined;
    },
    async set(marker) {
      await kv.kvSet("max", "poll-marker", String(marker));
    },
  };
}
