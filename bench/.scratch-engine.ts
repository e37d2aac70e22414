import { performance } from "node:perf_hooks";
import { loadBundle } from "../src/engine/check.ts";
import { step } from "../src/engine/engine.ts";
import { newContact } from "../src/pipeline/worker.ts";
import type { InboundEvent } from "../src/model/inbound.ts";
import type { Order } from "../src/model/domain.ts";
const bundle = await loadBundle("bench/flows");
const N = 3000;
function run() {
  const t0 = performance.now();
  for (let i = 0; i < N; i++) {
    const base = { type: "message" as const, channel: "telegram" as const, chatId: String(i), userId: String(i), at: Date.now(), locale: "en" };
    const evs: InboundEvent[] = [
      { ...base, dedupeKey: `${i}a`, text: "/start" },
      { ...base, dedupeKey: `${i}b`, buttonId: "bar_choco" },
      { ...base, dedupeKey: `${i}c`, text: "12" },
      { ...base, dedupeKey: `${i}d`, buttonId: "confirm" },
    ] as InboundEvent[];
    let conv = null; let contact = newContact(evs[0]!, Date.now()); let orders: Order[] = [];
    let n = 0;
    for (const e of evs) {
      const r = step({ bundle, event: e, now: Date.now(), conversation: conv, contact, orders, referrer: null, newId: (p) => `${p}_${i}_${n++}`, links: () => "x" });
      conv = r.conversation; contact = r.contact; orders = [...r.orders, ...orders];
    }
  }
  return (performance.now() - t0) / (N * 4);
}
run();
console.log("engine step µs/msg", (run() * 1000).toFixed(0), (run() * 1000).toFixed(0));
