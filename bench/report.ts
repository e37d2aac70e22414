import type { FunnelTiming } from "./funnel.ts";
import type { Machine } from "./machine.ts";
import { TARGETS, type Measured, type TargetId } from "./measure.ts";

/** The printout of `npm run bench`, and the same figures as a README section. */
export const TARGET_GRAMMY = 1.5;
export const TARGET_FLOOR = 0.6;
export const TARGET_P99_MS = 50;
export const TARGET_FUNNEL_MS = 500;

export interface FunnelFigures {
  contacts: number;
  from: number;
  to: number;
  /** a string says why Redis was not measured */
  redis: FunnelTiming | string;
  sqlite: FunnelTiming;
}

export interface Run {
  machine: Machine;
  command: string;
  date: string;
  customers: number;
  seconds: number;
  rounds: number;
  warmup: number;
  asShipped: boolean;
  loadBefore: number;
  loadAfter: number;
  results: Measured[];
  funnel?: FunnelFigures;
}

const f1 = (n: number) => (Number.isFinite(n) ? n.toFixed(1) : "—");
const f2 = (n: number) => (Number.isFinite(n) ? n.toFixed(2) : "—");
export const f0 = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString("en-US") : "—");
const pad = (s: string, n: number) => s.padEnd(n);
const lpad = (s: string, n: number) => s.padStart(n);
const verdict = (ok: boolean) => (ok ? "PASS" : "MISS");
const day = (t: number) => new Date(t).toISOString().slice(0, 10);

export function machineLines(m: Machine): string[] {
  return [`machine: ${m.cpu}, ${m.cores} cores, ${m.ramGiB} GiB RAM, ${m.os}`, `node ${m.node}, redis-server ${m.redis}`];
}

interface Row {
  label: string;
  mps: string;
  p50: string;
  p99: string;
  max: string;
  rss: string;
  orders: string;
  cpu: string;
  redis: string;
  errors: string;
}

function rowOf(r: Measured): Row {
  const e = r.errors;
  const c = r.cpuMsPerMsg;
  return {
    label: TARGETS[r.id].label,
    mps: `${f0(r.msgsPerSecond)}${r.roundsMsgsPerSecond && r.roundsMsgsPerSecond.length > 1 ? ` (${f0(Math.min(...r.roundsMsgsPerSecond))}–${f0(Math.max(...r.roundsMsgsPerSecond))})` : ""}`,
    p50: f1(r.p50Ms),
    p99: f1(r.p99Ms),
    max: f1(r.maxMs),
    rss: `${f0(r.peakRssMiB)}${r.redisPeakRssMiB !== undefined ? ` + ${f0(r.redisPeakRssMiB)}` : ""}`,
    orders: r.id === "floor" ? "—" : String(r.orders),
    cpu: `${f2(c.target)}${c.redis !== undefined ? ` + ${f2(c.redis)}` : ""}`,
    redis: r.redisPerMsg ? `${f1(r.redisPerMsg.commands)}${r.redisPerMsg.scripts > 0 ? ` (${f1(r.redisPerMsg.scripts)} Lua)` : ""}` : "—",
    errors:
      e.http + e.timeouts + e.script + e.stray === 0
        ? "0"
        : `http ${e.http}, timeouts ${e.timeouts}, script ${e.script}, stray replies ${e.stray}`,
  };
}

interface Check {
  what: string;
  value: string;
  target: string;
  ok: boolean;
}

/** within the spread this VM shows between rounds of one target */
const NO_WORSE = 0.95;

function checks(results: Measured[]): Check[] {
  const by = new Map<TargetId, Measured>(results.map((r) => [r.id, r]));
  const grammy = by.get("grammy");
  const floor = by.get("floor");
  const out: Check[] = [];
  for (const id of ["frontdesk-redis", "frontdesk-embedded"] as const) {
    const fd = by.get(id);
    if (!fd) continue;
    const label = TARGETS[id].label;
    if (grammy) {
      const x = fd.msgsPerSecond / grammy.msgsPerSecond;
      out.push({ what: `${label} / grammY`, value: `${f2(x)}×`, target: `≥ ${TARGET_GRAMMY}×`, ok: x >= TARGET_GRAMMY });
    }
    if (floor) {
      const x = fd.msgsPerSecond / floor.msgsPerSecond;
      out.push({ what: `${label} / floor`, value: `${f2(x)}×`, target: `≥ ${TARGET_FLOOR}×`, ok: x >= TARGET_FLOOR });
    }
    out.push({ what: `${label} p99`, value: `${f1(fd.p99Ms)} ms`, target: `< ${TARGET_P99_MS} ms`, ok: fd.p99Ms < TARGET_P99_MS });
    // the same store run from the --before checkout in the same rounds: "no worse" allows the rounds' noise
    const before = by.get(id === "frontdesk-redis" ? "before-redis" : "before-embedded");
    if (before) {
      const x = fd.msgsPerSecond / before.msgsPerSecond;
      out.push({ what: `${label} / ${TARGETS[before.id].label}`, value: `${f2(x)}×`, target: `≥ ${NO_WORSE}×`, ok: x >= NO_WORSE });
    }
  }
  return out;
}

function notes(run: Run): string[] {
  const out = [
    `${run.customers} customers at once, each playing a 4-message order conversation in a new chat and answering as soon as the reply arrives; ${run.seconds} s measured per target after a warm-up of ${run.warmup} s (and at least ${run.customers} conversations).`,
    ...(run.rounds > 1
      ? [`Each target was measured in ${run.rounds} rounds, in rotating order (this machine's speed drifts by tens of percent within minutes); a row is the target's median round, its msgs/s over all rounds in brackets, and the ratios compare those medians.`]
      : []),
    "msgs/s: customer messages whose reply reached the fake Bot API in the window. Latency: reply arrival at the fake − start of the webhook POST.",
    "orders: conversations in the window that ended with an order number. CPU ms/msg: the target's CPU time (+ its redis-server's) in the window per message.",
    "peak RSS: the target process's VmHWM (+ its own redis-server's, which each Redis target gets fresh).",
    "Redis cmds/msg: every command Redis ran per customer message, those inside Lua scripts included (scripts in brackets).",
    `With no think time, latency ≈ ${run.customers} / throughput (Little's law): p99 < ${TARGET_P99_MS} ms at ${run.customers} customers needs ≳ ${f0((run.customers * 1000) / TARGET_P99_MS)} msgs/s.`,
  ];
  const lg = run.results.map((r) => r.cpuMsPerMsg.loadgen).filter(Number.isFinite);
  if (lg.length > 0) {
    out.push(
      `The load generator and the fake Bot API share the machine: ${f2(Math.min(...lg))}–${f2(Math.max(...lg))} CPU ms per message of their own, so they take part of the 2 cores from every target.`,
    );
  }
  const grammy = run.results.find((r) => r.id === "grammy");
  const floor = run.results.find((r) => r.id === "floor");
  if (grammy && floor) {
    const wanted = grammy.msgsPerSecond * TARGET_GRAMMY;
    out.push(
      `${TARGET_GRAMMY}× the grammY bot is ${f0(wanted)} msgs/s in this run, ${f2(wanted / floor.msgsPerSecond)}× the floor's ${f0(floor.msgsPerSecond)}: ${wanted > floor.msgsPerSecond ? "more than a bot doing the least work per message (one GET, one SET, one send) managed on this machine" : "within what the floor managed"}.`,
    );
  }
  if (run.results.some((r) => TARGETS[r.id].frontdesk)) {
    out.push(
      run.asShipped
        ? "front desk ran as shipped (src/main.ts): its Telegram sender holds a bot to 30 msg/s."
        : "front desk ran as bench/targets/frontdesk.ts: src/main.ts with botInfo given and the Telegram sender's 30 msg/s per-bot cap lifted (the fake has no such limit and the baselines apply none; --as-shipped keeps it).",
    );
  }
  if (run.results.some((r) => r.id === "grammy")) {
    out.push("grammY baseline: @grammyjs/conversations 2 with @grammyjs/storage-redis's RedisAdapter on the node-redis client (ioredis is not installed; the adapter only calls get/set/del).");
  }
  return out;
}

function funnelLine(label: string, t: FunnelTiming | string, target: boolean): string {
  if (typeof t === "string") return `  ${pad(label, 8)}${t}`;
  const v = target ? `target < ${TARGET_FUNNEL_MS} ms  ${verdict(t.medianMs < TARGET_FUNNEL_MS)}` : `(no target on SQLite)`;
  return `  ${pad(label, 8)}min ${lpad(f0(t.minMs), 5)} ms   median ${lpad(f0(t.medianMs), 5)} ms   ${pad(v, 26)}[seeded in ${f1(t.seedMs / 1000)} s; ${t.awareness.toLocaleString("en-US")} aware → ${t.action.toLocaleString("en-US")} ordered]`;
}

/** The terminal printout after the runs. */
export function formatRun(run: Run, extra: { redisDetail: boolean; timeline: boolean }): string {
  const out: string[] = [""];
  if (run.results.length > 0) {
    out.push(
      `${pad("target", 26)}${lpad("msgs/s (rounds)", 22)}${lpad("p50 ms", 9)}${lpad("p99 ms", 9)}${lpad("max ms", 9)}${lpad("peak RSS MB", 14)}${lpad("orders", 8)}  ${pad("CPU ms/msg", 14)}${pad("Redis cmds/msg", 17)}errors`,
    );
    for (const r of run.results.map(rowOf)) {
      out.push(`${pad(r.label, 26)}${lpad(r.mps, 22)}${lpad(r.p50, 9)}${lpad(r.p99, 9)}${lpad(r.max, 9)}${lpad(r.rss, 14)}${lpad(r.orders, 8)}  ${pad(r.cpu, 14)}${pad(r.redis, 17)}${r.errors}`);
    }
    if (extra.redisDetail) {
      out.push("", "Redis commands per customer message:");
      for (const r of run.results) {
        if (r.redisPerMsg) out.push(`  ${pad(TARGETS[r.id].label, 24)}${r.redisPerMsg.top.map(([c, n]) => `${c} ${f1(n)}`).join(", ")}`);
      }
    }
    if (extra.timeline) {
      out.push("", "per second of the window (replies/slowest ms):");
      for (const r of run.results) out.push(`  ${pad(TARGETS[r.id].label, 24)}${r.timeline.map((t) => `${t.replies}/${Math.round(t.maxMs)}`).join("  ")}`);
      out.push("", "latency by message, p50/p99/max ms (/start → greeting, product → how many, 12 → confirm?, confirm → order placed):");
      for (const r of run.results) out.push(`  ${pad(TARGETS[r.id].label, 24)}${r.bySteps.map((t) => `${f1(t.p50Ms)}/${f1(t.p99Ms)}/${f1(t.maxMs)}`).join("   ")}`);
      out.push("", "webhook answered (2xx) after, p50/p99/max ms:");
      for (const r of run.results) out.push(`  ${pad(TARGETS[r.id].label, 24)}${f1(r.ack.p50Ms)}/${f1(r.ack.p99Ms)}/${f1(r.ack.maxMs)}`);
    }
    const cs = checks(run.results);
    if (cs.length > 0) {
      out.push("");
      for (const c of cs) out.push(`${pad(c.what, 40)}${lpad(c.value, 10)}   target ${pad(c.target, 9)} ${verdict(c.ok)}`);
    }
    out.push("", ...notes(run));
  }
  if (run.funnel) {
    const f = run.funnel;
    out.push(
      "",
      `Funnel report over ${(f.contacts * 10).toLocaleString("en-US")} touchpoints from ${f.contacts.toLocaleString("en-US")} contacts (${day(f.from)} – ${day(f.to)}), funnelReport() ×5:`,
      funnelLine("Redis", f.redis, true),
      funnelLine("SQLite", f.sqlite, false),
    );
  }
  out.push("", `load average (1 min): ${f2(run.loadBefore)} before, ${f2(run.loadAfter)} after, on ${run.machine.cores} cores`);
  return `${out.join("\n")}\n`;
}

/** The README's performance section, ready to paste. */
export function formatMarkdown(run: Run): string {
  const m = run.machine;
  const out: string[] = [
    "## Performance",
    "",
    `Measured ${run.date} on ${m.cpu}, ${m.cores} cores, ${m.ramGiB} GiB RAM, ${m.os}, Node ${m.node}, redis-server ${m.redis}. To reproduce (redis-server on PATH; about 5 minutes):`,
    "",
    "```sh",
    run.command,
    "```",
    "",
  ];
  if (run.results.length > 0) {
    out.push(
      "End to end on the Telegram webhook; the bot's replies are counted at a local fake Bot API:",
      "",
      "| target | msgs/s (range over rounds) | p50 ms | p99 ms | peak RSS MB (+ Redis) | CPU ms/msg (+ Redis) | Redis cmds/msg |",
      "|---|--:|--:|--:|--:|--:|--:|",
    );
    for (const r of run.results.map(rowOf)) out.push(`| ${r.label} | ${r.mps} | ${r.p50} | ${r.p99} | ${r.rss} | ${r.cpu} | ${r.redis} |`);
    const cs = checks(run.results);
    if (cs.length > 0) {
      out.push("", "| check | measured | target | |", "|---|--:|--:|---|");
      for (const c of cs) out.push(`| ${c.what} | ${c.value} | ${c.target} | ${verdict(c.ok)} |`);
    }
    out.push("", ...notes(run).map((n) => `- ${n}`));
  }
  if (run.funnel) {
    const f = run.funnel;
    const cell = (t: FunnelTiming | string) => (typeof t === "string" ? t : `${f0(t.medianMs)} ms (min ${f0(t.minMs)})`);
    out.push(
      "",
      `The funnel report (\`funnelReport\`, as \`npx frontdesk report funnel\` runs it) over ${(f.contacts * 10).toLocaleString("en-US")} touchpoints from ${f.contacts.toLocaleString("en-US")} contacts in a month, median of 5 runs: Redis ${cell(f.redis)} (target < ${TARGET_FUNNEL_MS} ms), embedded ${cell(f.sqlite)}.`,
    );
  }
  out.push("", `Load average (1 min) during the run: ${f2(run.loadBefore)} before, ${f2(run.loadAfter)} after.`);
  return `${out.join("\n")}\n`;
}
