import { parseArgs } from "node:util";
import { createClient } from "redis";
import { RedisStore } from "../src/store/redis.ts";
import { startHarness } from "../test/support/harness.ts";
import { startRedis } from "../test/support/redis-server.ts";
import { describeMachine } from "./machine.ts";

/**
 * Redis memory per customer, for sizing: customers play the benchmark's 4-message
 * order conversation (bench/flows) through the whole service on Telegram, each into a
 * fresh redis-server, once with Redis's default encodings and once with
 * `hash-max-listpack-value 1024` and `zset-max-listpack-value 1024` (the README's
 * recommended settings). Prints bytes per customer (used_memory grown over the run),
 * which keys hold them, and Redis's CPU time per customer.
 *
 *   node --import tsx bench/redis-memory.ts [--customers 300]
 */
const { values } = parseArgs({ options: { customers: { type: "string", default: "300" } } });
const customers = Number(values.customers);
if (!Number.isInteger(customers) || customers < 1) throw new Error(`--customers must be a whole number >= 1, got ${values.customers}`);

/** a key's kind: its name with ids folded away */
function kindOf(key: string): string {
  return key
    .replace(/\{c:[^}]*\}/, "{c:<chat>}")
    .replace(/\{p:[^}]*\}/, "{p:<contact>}")
    .replace(/:(o|j):[^:]+$/, ":$1:<id>")
    .replace(/^(\w+):(dd|fl|rc|ph):.*/, "$1:$2:<…>")
    .replace(/^(\w+):or:(?!all$|st:).*/, "$1:or:<id>");
}

const RECOMMENDED = ["hash-max-listpack-value", "1024", "zset-max-listpack-value", "1024"];

async function measure(config: string[]) {
  const server = await startRedis({ appendonly: false }); // its own server: nothing else in it
  const raw = createClient({ url: server.url });
  await raw.connect();
  try {
    if (config.length > 0) await raw.sendCommand(["CONFIG", "SET", ...config]);
    const store = await RedisStore.connect(server.url, { prefix: "fd" });
    const h = await startHarness({ store, env: { FLOWS_DIR: "bench/flows" } });
    try {
      const order = async (user: string) => {
        const welcome = await h.say("telegram", user, "/start");
        await h.say("telegram", user, { button: welcome[0]!.choices[0]!.id });
        const confirm = await h.say("telegram", user, "12");
        await h.say("telegram", user, { button: confirm[confirm.length - 1]!.choices[0]!.id });
      };
      const usedMemory = async () => Number(/used_memory:(\d+)/.exec(String(await raw.sendCommand(["INFO", "memory"])))![1]);
      const cpuSeconds = async () =>
        [...String(await raw.sendCommand(["INFO", "cpu"])).matchAll(/used_cpu_(?:sys|user):([\d.]+)/g)].reduce((sum, m) => sum + Number(m[1]), 0);
      await order("7000000"); // scripts loaded, shared keys made
      const before = await usedMemory();
      const cpuBefore = await cpuSeconds();
      for (let i = 1; i <= customers; i++) await order(String(7000000 + i));
      const cpuMsPerCustomer = (((await cpuSeconds()) - cpuBefore) * 1000) / customers;
      const perCustomer = ((await usedMemory()) - before) / customers;
      const byKind = new Map<string, number>();
      for (const key of (await raw.sendCommand(["KEYS", "fd:*"])) as string[]) {
        const bytes = Number(await raw.sendCommand(["MEMORY", "USAGE", key, "SAMPLES", "0"]));
        byKind.set(kindOf(key), (byKind.get(kindOf(key)) ?? 0) + bytes);
      }
      return { perCustomer, cpuMsPerCustomer, byKind };
    } finally {
      await h.close();
    }
  } finally {
    await raw.quit();
    await server.stop();
  }
}

const m = describeMachine();
console.log(`Redis memory per customer — redis-server ${m.redis}, node ${m.node}`);
console.log(`${customers} customers, each one 4-message order conversation (bench/flows) on Telegram\n`);
const runs = [
  { label: "Redis defaults (listpack values up to 64 bytes)", r: await measure([]) },
  { label: RECOMMENDED.join(" "), r: await measure(RECOMMENDED) },
];
for (const { label, r } of runs) {
  const cpu = `${r.cpuMsPerCustomer.toFixed(2)} ms of Redis CPU`;
  console.log(`${label}: ${Math.round(r.perCustomer).toLocaleString("en-US")} bytes and ${cpu} per customer`);
  const top = [...r.byKind.entries()].sort((a, b) => b[1] - a[1]).slice(0, 10);
  for (const [kind, bytes] of top) console.log(`  ${kind.padEnd(28)} ${Math.round(bytes / (customers + 1)).toLocaleString("en-US").padStart(7)}`);
}
console.log("\nbytes: used_memory grown per customer; by key kind: MEMORY USAGE per customer.");
console.log("Redis CPU includes this harness's polling (every 50 ms): compare the two; size CPU from npm run bench.");
