import type { KeyValuePort } from "../store/kv.ts";

/** The part of the store's key-value port the MAX polling marker and the one-time move codes use. */
export type SmallKv = Pick<KeyValuePort, "kvGet" | "kvSet" | "kvTake" | "kvDelete">;
