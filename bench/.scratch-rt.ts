import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { createApp } from "../src/app.ts";
import { loadConfig } from "../src/config.ts";
import { RedisStore } from "../src/store/redis.ts";
import { startFakeTelegram } from "../test/fakes/telegram-api.ts";
import { startRedis } from "../test/support/redis-server.ts";
import { TELEGRAM_RATE } from "../adapters/telegram/index.ts";
import { runLoad } from "./load.ts";
import { BOT_INFO, BOT_TOKEN, WEBHOOK_SECRET } from "./targets/common.ts";
TELEGRAM_RATE.perSecond = 1e6;
const counts = new Map<string, number>();
const proto = RedisStore.prototype as unknown as Record<string, (...a: unknown[]) => unknown>;
for (const name of Object.getOwnPropertyNames(RedisStore.prototype)) {
  const orig = proto[name];
  if (typeof orig !== "function" || name === "constructor") continue;
  proto[name] = function (this: unknown, ...a: unknown[]) {
    const key = name === "run" ? `run:${String(a[0])}` : name;
    counts.set(key, (counts.get(key) ?? 0) + 1);
    return orig.apply(this, a);
  };
}
const redis = await startRedis({ appendonly: false });
const fake = await startFakeTelegram({ record: false });
const config = loadConfig({ PORT: "0", HOST: "127.0.0.1", DATA_DIR: mkdtempSync(join(tmpdir(), "rt-")), REDIS_URL: redis.url, TELEGRAM_BOT_TOKEN: BOT_TOKEN, TELEGRAM_WEBHOOK_SECRET: WEBHOOK_SECRET, TELEGRAM_API_ROOT: fake.apiRoot, FLOWS_DIR: "bench/flows", LOG_LEVEL: "warn" });
const app = await createApp(config, { logger: pino({ level: "warn" }), telegram: { botInfo: BOT_INFO } });
const addr = await app.listen();
counts.clear();
const r = await runLoad({ baseUrl: addr, fake, customers: Number(process.argv[2] ?? 8), warmupConversations: 8, seconds: 3, chatBase: 5e8 });
const per = [...counts].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${(v / r.sent).toFixed(2)}`);
console.log("sent", r.sent, "msgs/s", r.msgsPerSecond.toFixed(0)); console.log(per.join("\n"));
await app.close(); await fake.close(); await redis.stop(); process.exit(0);
