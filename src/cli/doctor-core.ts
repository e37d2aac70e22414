import { existsSync } from "node:fs";
import type { Config } from "../config.ts";
import { formatProblem, loadBundleUnchecked } from "../engine/bundle.ts";
import { checkBundle } from "../engine/check.ts";
import { openStore } from "../store/open.ts";
import type { DoctorCheck } from "./doctor-check.ts";
import { describeStore, storeChoice, withTimeout } from "./store.ts";

/** The checks of `frontdesk doctor` that are not a channel's: store, flows, clock. */

export async function storeCheck(config: Config): Promise<DoctorCheck> {
  const choice = storeChoice(config);
  const name = "store";
  if (choice.kind === "sqlite" && !existsSync(choice.file!)) {
    return { name, ok: true, detail: `SQLite ${choice.where}: not created yet (the service creates it on its first start)` };
  }
  try {
    const store = await withTimeout(openStore(config), 5_000, "the store did not open");
    try {
      await withTimeout(store.ping(), 5_000, "the store did not answer");
    } finally {
      await store.close().catch(() => undefined);
    }
    return { name, ok: true, detail: `${await describeStore(choice)}: reachable` };
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    return choice.kind === "redis"
      ? { name, ok: false, detail: `Redis ${choice.where}: ${msg}`, fix: "is redis-server running and reachable from here? Check REDIS_URL (redis://host:6379) and any password" }
      : { name, ok: false, detail: `SQLite ${choice.where}: ${msg}`, fix: `check that ${choice.file} is readable and writable by this user, and that no other process has it locked` };
  }
}

export async function flowsCheck(config: Config): Promise<DoctorCheck> {
  const name = "flows";
  const { bundle, problems } = await loadBundleUnchecked(config.flowsDir);
  const all = bundle ? [...problems, ...checkBundle(bundle)] : problems;
  if (all.length > 0) {
    const first = all.slice(0, 3).map(formatProblem).join("; ");
    return { name, ok: false, detail: `${all.length} problem(s) in ${config.flowsDir}: ${first}${all.length > 3 ? "; …" : ""}`, fix: `npx frontdesk flows check --dir ${config.flowsDir} lists them all with file and line` };
  }
  const steps = [...bundle!.flows.values()].reduce((n, f) => n + Object.keys(f.steps).length, 0);
  return { name, ok: true, detail: `${config.flowsDir}: ${bundle!.flows.size} flows, ${steps} steps, ${bundle!.catalogue.products.length} products, valid` };
}

/**
 * The time zone days and hours are counted in, and the clock against a platform's
 * (the Date header of its API): timers, reports and WhatsApp's 24-hour window all
 * run on this machine's clock.
 */
export async function clockCheck(opts: { referenceUrl?: string; now?: () => number; tz?: string } = {}): Promise<DoctorCheck> {
  const name = "clock and time zone";
  const now = opts.now ?? Date.now;
  const tz = opts.tz ?? process.env.TZ;
  if (tz && !validZone(tz)) {
    return { name, ok: false, detail: `TZ=${tz} is not a time zone`, fix: "set TZ to an IANA name in .env, e.g. TZ=Europe/Moscow" };
  }
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const local = new Intl.DateTimeFormat("ru-RU", { dateStyle: "short", timeStyle: "short", timeZone: zone }).format(new Date(now()));
  const offset = -new Date(now()).getTimezoneOffset();
  const utc = `UTC${offset >= 0 ? "+" : "−"}${Math.floor(Math.abs(offset) / 60)}${Math.abs(offset) % 60 ? `:${String(Math.abs(offset) % 60).padStart(2, "0")}` : ""}`;
  const where = `${local} ${zone} (${utc})${tz ? "" : ", TZ not set: the machine's zone"}`;
  if (!opts.referenceUrl) return { name, ok: true, detail: where };
  try {
    const started = Date.now();
    const res = await fetch(opts.referenceUrl, { method: "HEAD", signal: AbortSignal.timeout(5_000) });
    const header = res.headers.get("date");
    const theirs = header ? Date.parse(header) : Number.NaN;
    if (!Number.isFinite(theirs)) return { name, ok: true, detail: `${where}; the platform sent no Date to compare with` };
    const skew = (started + Date.now()) / 2 - theirs;
    // the Date header counts whole seconds
    if (Math.abs(skew) > 60_000) {
      return { name, ok: false, detail: `${where}; this clock is ${Math.round(Math.abs(skew) / 1000)} s ${skew > 0 ? "ahead of" : "behind"} ${new URL(opts.referenceUrl).host}`, fix: "turn on time sync: timedatectl set-ntp true (or install chrony)" };
    }
    return { name, ok: true, detail: `${where}; within ${Math.max(1, Math.round(Math.abs(skew) / 1000))} s of ${new URL(opts.referenceUrl).host}` };
  } catch {
    return { name, ok: true, detail: `${where}; not compared (${new URL(opts.referenceUrl).host} did not answer)` };
  }
}

function validZone(z: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: z });
    return true;
  } catch {
    return false;
  }
}
