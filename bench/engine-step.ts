import { createHash } from "node:crypto";
import { performance } from "node:perf_hooks";
import type { Bundle } from "../src/engine/bundle.ts";
import { loadBundle } from "../src/engine/check.ts";
import { step, type EngineResult, type LinkBuilder } from "../src/engine/engine.ts";
import type { Contact, Conversation, Order } from "../src/model/domain.ts";
import type { InboundMessage } from "../src/model/inbound.ts";
import { newContact } from "../src/pipeline/worker.ts";

/**
 * The engine alone, without HTTP, store or rendering: the bench's 4-message order
 * conversation (/start, a product button, "12", the confirm button — see bench/load.ts)
 * replayed through step() the way the worker feeds it (each step's conversation and
 * contact go into the next). Prints CPU µs per step and a digest of every output, so a
 * change to the engine can show it is faster and that it says exactly the same.
 *
 *   node --import tsx bench/engine-step.ts [conversations=20000] [rounds=5]
 */
const CONVERSATIONS = Number(process.argv[2] ?? 20_000);
const ROUNDS = Number(process.argv[3] ?? 5);
const T0 = Date.UTC(2024, 10, 24, 12, 0, 0);
const links: LinkBuilder = (channel, payload) => `https://example.test/${channel}?start=${payload}`;

/** a new customer as the worker makes one, with a fixed id and code so runs compare */
function contactFor(chatId: number, now: number): Contact {
  const first = message(chatId, 0, now, { text: "/start", locale: "en", profileName: "Bench" });
  return { ...newContact(first, now), id: `c_${chatId}`, referralCode: `r${chatId}` };
}

function message(chatId: number, seq: number, now: number, more: Partial<InboundMessage>): InboundMessage {
  return {
    type: "message",
    channel: "telegram",
    chatId: String(chatId),
    userId: String(chatId),
    dedupeKey: `${chatId}-${seq}`,
    platformMessageId: String(seq),
    at: now,
    locale: "en",
    profileName: "Bench",
    ...more,
  };
}

/** One customer's order conversation; `onResult` sees every step's result. */
function conversation(bundle: Bundle, chatId: number, onResult?: (r: EngineResult) => void): number {
  let conv: Conversation | null = null;
  let contact = contactFor(chatId, T0);
  let orders: Order[] = [];
  let product = "";
  const script: Partial<InboundMessage>[] = [{ text: "/start" }, { buttonId: "" }, { text: "12" }, { buttonId: "confirm" }];
  let steps = 0;
  script.forEach((more, seq) => {
    const now = T0 + chatId * 1000 + seq * 10;
    const event = message(chatId, seq, now, seq === 1 ? { buttonId: product } : more);
    let n = 0;
    const result = step({
      bundle,
      event,
      now,
      conversation: conv,
      contact,
      orders,
      referrer: null,
      newId: (prefix) => `${prefix}_${chatId}_${seq}_${(n++).toString(36)}`,
      links,
    });
    steps++;
    onResult?.(result);
    if (seq === 0) {
      const buttons = result.outbound[0]?.choices ?? [];
      product = buttons[chatId % Math.max(1, buttons.length)]?.id ?? "";
    }
    conv = result.conversation;
    contact = result.contact;
    orders = [...result.orders, ...orders.filter((o) => !result.orders.some((c) => c.id === o.id))];
  });
  return steps;
}

/** A hash of everything step() returned for a few hundred conversations. */
function digest(bundle: Bundle): { hash: string; orders: number } {
  const h = createHash("sha256");
  let orders = 0;
  for (let c = 0; c < 300; c++) {
    conversation(bundle, 1_000_000 + c, (r) => {
      orders += r.orders.length;
      h.update(JSON.stringify(r));
    });
  }
  return { hash: h.digest("hex").slice(0, 16), orders };
}

const bundle = await loadBundle(new URL("./flows", import.meta.url).pathname);
const { hash, orders } = digest(bundle);
console.log(`output digest ${hash} (${orders} orders in 300 conversations)`);

// warm-up, then rounds; the best round is the least disturbed by GC and the machine.
// CPU time (this process's user + system) is the figure to compare: other work on a
// busy machine inflates wall time but not that.
for (let c = 0; c < 2000; c++) conversation(bundle, c);
const cpuPerStep: number[] = [];
for (let round = 0; round < ROUNDS; round++) {
  let steps = 0;
  const start = performance.now();
  const cpu0 = process.cpuUsage();
  for (let c = 0; c < CONVERSATIONS; c++) steps += conversation(bundle, 10_000 + round * CONVERSATIONS + c);
  const cpu = process.cpuUsage(cpu0);
  const wallUs = ((performance.now() - start) * 1000) / steps;
  const cpuUs = (cpu.user + cpu.system) / steps;
  cpuPerStep.push(cpuUs);
  console.log(`round ${round + 1}: ${steps} steps, ${cpuUs.toFixed(2)} µs CPU/step (${wallUs.toFixed(2)} µs wall)`);
}
cpuPerStep.sort((a, b) => a - b);
console.log(`best ${cpuPerStep[0]!.toFixed(2)} µs CPU/step, median ${cpuPerStep[Math.floor(cpuPerStep.length / 2)]!.toFixed(2)} µs CPU/step`);
