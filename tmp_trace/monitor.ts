import { createClient } from "redis";
import { RedisStore } from "../src/store/redis.ts";
import { startHarness } from "../test/support/harness.ts";
import { startRedis } from "../test/support/redis-server.ts";

const server = await startRedis();
const store = await RedisStore.connect(server.url, { prefix: "fd" });
const h = await startHarness({ store, env: { FLOWS_DIR: "bench/flows" } });
// warm: one conversation
const talk = async (user: string) => {
  const r1 = await h.say("telegram", user, "/start");
  const btn = r1[0]!.choices[0]!.id;
  await h.say("telegram", user, { button: btn });
  const r3 = await h.say("telegram", user, "12");
  await h.say("telegram", user, { button: r3[r3.length - 1]!.choices[0]!.id });
};
await talk("9001");
const mon = createClient({ url: server.url });
await mon.connect();
const lines: string[] = [];
await mon.monitor((l) => lines.push(l));
await talk("9002");
await new Promise((r) => setTimeout(r, 300));
let cur = "";
const per = new Map<string, Map<string, number>>();
let scripts = 0;
for (const l of lines) {
  const m = l.match(/\[\d+ (lua|[\d.:]+)\] "([^"]+)"(?: "([^"]*)")?/);
  if (!m) continue;
  if (m[1] !== "lua") { cur = m[2] + (m[2] === "EVALSHA" || m[2] === "evalsha" ? "#" + (++scripts) : ""); continue; }
  const k = cur; const c = m[2]!.toUpperCase() + " " + (m[3] ?? "").replace(/^fd:/, "").replace(/\{c:[^}]*\}/, "{c}").replace(/\{p:[^}]*\}/, "{p}").replace(/:j:.*/, ":j:*").replace(/:o:.*/, ":o:*").replace(/^or:[^:]*$/, "or:*").replace(/^dd:.*/, "dd:*").replace(/^fl:.*/, "fl:*");
  if (!per.has(k)) per.set(k, new Map());
  per.get(k)!.set(c, (per.get(k)!.get(c) ?? 0) + 1);
}
let total = 0;
for (const [k, m] of per) { const n = [...m.values()].reduce((a, b) => a + b, 0); total += n; console.log(k, n, [...m.entries()].map(([c, x]) => (x > 1 ? x + "x " : "") + c).join(", ")); }
console.log("total in lua", total, "scripts", scripts);
await mon.quit().catch(() => {});
await h.close();
await server.stop();
