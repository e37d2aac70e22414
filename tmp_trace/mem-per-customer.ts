import { createClient } from "redis";
import { RedisStore } from "../src/store/redis.ts";
import { startHarness } from "../test/support/harness.ts";
import { startRedis } from "../test/support/redis-server.ts";

const N = Number(process.argv[2] ?? 300);
const lp = process.argv[3];
const server = await startRedis({ appendonly: false });
const raw = createClient({ url: server.url });
await raw.connect();
if (lp) await raw.sendCommand(["CONFIG", "SET", "hash-max-listpack-value", lp]);
const store = await RedisStore.connect(server.url, { prefix: "fd" });
const h = await startHarness({ store, env: { FLOWS_DIR: "bench/flows" } });
const mem = async () => Number(String(await raw.sendCommand(["INFO", "memory"])).match(/used_memory:(\d+)/)![1]);
const talk = async (user: string) => {
  const r1 = await h.say("telegram", user, "/start");
  await h.say("telegram", user, { button: r1[0]!.choices[0]!.id });
  const r3 = await h.say("telegram", user, "12");
  await h.say("telegram", user, { button: r3[r3.length - 1]!.choices[0]!.id });
};
await talk("8999");
const m0 = await mem();
for (let i = 0; i < N; i++) await talk(String(9000 + i));
const m1 = await mem();
const keys = Number(await raw.sendCommand(["DBSIZE"]));
console.log(`listpack-value ${lp ?? "64 (default)"}: ${N} customers x 4 messages: ${((m1 - m0) / N).toFixed(0)} bytes per customer; keys ${keys}`);
const counts: Record<string, number> = {};
for (const k of (await raw.sendCommand(["KEYS", "fd:*"])) as string[]) {
  const t = k.replace(/\{c:[^}]*\}/, "{c}").replace(/\{p:[^}]*\}/, "{p}").replace(/:o:.*/, ":o:*").replace(/:j:.*/, ":j:*").replace(/^fd:or:(?!all|st).*/, "fd:or:*").replace(/^fd:dd:.*/, "fd:dd:*").replace(/^fd:fl:.*/, "fd:fl:*").replace(/^fd:rc:.*/, "fd:rc:*");
  counts[t] = (counts[t] ?? 0) + Number(await raw.sendCommand(["MEMORY", "USAGE", k]));
}
for (const [k, v] of Object.entries(counts).sort((a, b) => b[1] - a[1]).slice(0, 14)) console.log("  ", k, (v / (N + 1)).toFixed(0));
await h.close();
await raw.quit();
await server.stop();
