import { join } from "node:path";
import type { Config } from "../config.ts";
import type { Store } from "./port.ts";
import { SqliteStore } from "./sqlite.ts";

/** Redis when REDIS_URL is set, else the embedded SQLite file in DATA_DIR. */
export async function openStore(config: Pick<Config, "redisUrl" | "dataDir">): Promise<Store> {
  if (config.redisUrl) {
    const { RedisStore } = await import("./redis.ts");
    return RedisStore.connect(config.redisUrl);
  }
  return SqliteStore.open(join(config.dataDir, "frontdesk.db"));
}
