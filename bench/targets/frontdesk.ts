import { createApp, createLogger } from "../../src/app.ts";
import { loadConfig } from "../../src/config.ts";
import { BOT_INFO } from "./common.ts";

/**
 * Front desk as `npm start` runs it (src/main.ts: config from the environment, the
 * store REDIS_URL picks, flows from FLOWS_DIR, one HTTP server), with two bench
 * changes made from outside src/:
 * - botInfo is passed, as the grammY baseline gets it (no getMe at start);
 * - unless BENCH_TELEGRAM_CAP=1, the Telegram sender's overall cap of 30 msg/s per
 *   bot (TELEGRAM_RATE_PER_SECOND, Telegram's documented broadcast limit) is lifted:
 *   the fake Bot API has no such limit and neither baseline applies one, so with the
 *   cap every front desk figure would read ~30 msg/s. The per-chat limit (1/s, burst
 *   5) stays; a 4-message conversation fits in the burst.
 * `npm run bench -- --as-shipped` runs src/main.ts itself instead.
 */
if (process.env.BENCH_TELEGRAM_CAP !== "1") process.env.TELEGRAM_RATE_PER_SECOND = "1000000";

const config = loadConfig();
const log = createLogger(config.logLevel);
const app = await createApp(config, { logger: log, telegram: { botInfo: BOT_INFO } });
await app.listen();

let stopping = false;
process.on("SIGTERM", () => {
  if (stopping) return;
  stopping = true;
  void app.close().finally(() => process.exit(0));
});
