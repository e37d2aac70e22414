import type { FastifyInstance } from "fastify";
import pino, { type Logger } from "pino";
import type { AdapterContext, ChannelAdapter } from "./channel/port.ts";
import type { createTelegramAdapter } from "../adapters/telegram/index.ts";
import type { WebLimits } from "../adapters/web/limits.ts";
import { createAdapters } from "./app/adapters.ts";
import { createHttp } from "./app/http.ts";
import { every } from "./app/jobs.ts";
import { createLinks } from "./app/links.ts";
import { createPipeline } from "./app/pipeline.ts";
import type { Config } from "./config.ts";
import type { Bundle } from "./engine/bundle.ts";
import { loadBundle } from "./engine/check.ts";
import type { EventBus } from "./events/bus.ts";
import { openEventBus } from "./events/open.ts";
import { REDACT_PATHS } from "./http/redact.ts";
import type { Channel } from "./model/channel.ts";
import type { InboundEvent } from "./model/inbound.ts";
import { intakeWithMoves } from "./moves/redeem.ts";
import { pruneSentReplies } from "./pipeline/retention.ts";
import { fireDueTimers } from "./pipeline/scheduler.ts";
import type { SenderDeps } from "./pipeline/sender.ts";
import { startStaffSide, type StaffSide } from "./staff/start.ts";
import { openStore } from "./store/open.ts";
import { SqliteStore } from "./store/sqlite.ts";
import type { EnqueueOutcome, Store } from "./store/port.ts";

/** retention: a first sweep soon after start, then hourly */
const RETENTION_FIRST_MS = 60_000;
const RETENTION_EVERY_MS = 3_600_000;

/**
 * Wires the service: store, flows, adapters, the three pumps (worker, sender,
 * timers) and the HTTP server. main.ts runs it; tests build it in-process with a
 * controllable clock and fake platform servers.
 */
export interface AppOptions {
  /** the clock everything uses (tests move it forward to fire follow-ups) */
  now?: () => number;
  logger?: Logger;
  store?: Store;
  /** extra options per adapter (tests pass Telegram's botInfo to skip getMe) */
  telegram?: Parameters<typeof createTelegramAdapter>[1];
  /** how often timers and other instances' work are polled */
  pollMs?: number;
  /** adapters that replace the configured ones of their channel (`frontdesk chat`'s terminal) */
  adapters?: ChannelAdapter[];
  /** the web chat's limits (tests of floods and many polls set their own) */
  webLimits?: Partial<WebLimits>;
  /** refused webhook / staff API requests one address may make per minute before 429 */
  refusalsPerAddress?: number;
  /** send budgets per channel instead of the platforms' (journey tests lift them; pacing has its own tests) */
  sendRates?: SenderDeps["rates"];
}

export interface App {
  http: FastifyInstance;
  store: Store;
  /** live events: every committed touchpoint, every reply sent, staff alerts */
  events: EventBus;
  /** SLA watch and the Telegram staff group (src/staff/start.ts) */
  staffSide: StaffSide;
  bundle: () => Bundle;
  adapters: Map<Channel, ChannelAdapter>;
  ingest: (events: InboundEvent[]) => Promise<EnqueueOutcome[]>;
  /** run due timers now (tests; production polls every second) */
  tick(): Promise<void>;
  /** delete sent replies past the retention period now (production: hourly); answers how many */
  sweep(wallNow?: number): Promise<number>;
  /** resolves when nothing is queued or being sent (tests) */
  idle(timeoutMs?: number): Promise<void>;
  listen(): Promise<string>;
  close(): Promise<void>;
}

export const REDACT = REDACT_PATHS;

/** the service's logger; `destination` defaults to stdout (tests capture a run's whole log) */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  const options = { level, redact: { paths: REDACT, censor: "[redacted]" } };
  return destination ? pino(options, destination) : pino(options);
}

export async function createApp(config: Config, opts: AppOptions = {}): Promise<App> {
  const now = opts.now ?? Date.now;
  const log = opts.logger ?? createLogger(config.logLevel);
  const store = opts.store ?? (await openStore(config));
  // one process owns the embedded store: whatever a crashed predecessor held is free
  if (store instanceof SqliteStore) store.releaseLeases();
  const events = openEventBus(store, log);
  const flows = await loadBundle(config.flowsDir);
  const bundle = () => flows;

  const adapters = createAdapters(config, opts, { store, events, bundle, now, log });
  const { links, learnNames } = createLinks(config, adapters, log);
  const pollMs = opts.pollMs ?? 250;
  const pipeline = createPipeline({ config, store, events, adapters: adapters.all, bundle, now, log, links, pollMs, ...(opts.sendRates ? { sendRates: opts.sendRates } : {}) });
  const { ingest } = pipeline;

  // due timers every second; retention on the wall clock, as sends are stamped with it
  const timers = every("timers", 1000, async () => {
    while ((await fireDueTimers(store, now(), 200)) > 0) pipeline.wakeWorker();
  }, { log, failed: undefined });
  const retention = every("retention", RETENTION_EVERY_MS, async (wallNow?: number) => {
    const deleted = await pruneSentReplies(store, config.outboxRetentionDays, wallNow ?? Date.now());
    if (deleted > 0) log.info({ deleted, keepDays: config.outboxRetentionDays }, "retention: old sent replies deleted");
    return deleted;
  }, { log, failed: 0, firstMs: RETENTION_FIRST_MS });

  // what platforms deliver redeems one-time move codes (src/moves) on the way in
  const adapterContext: AdapterContext = { ingest: intakeWithMoves(ingest, { store, kv: store, now, log }), log, findOrder: (id) => store.getOrder(id) };
  const http = await createHttp({ config, log, store, events, bundle, now, ingest, links, adapters: adapters.all, adapterContext, ...(opts.refusalsPerAddress ? { refusalsPerAddress: opts.refusalsPerAddress } : {}) });
  const staffSide = await startStaffSide({ config, store, bundle, now, log, ingest, events, telegram: adapters.telegram, ...(opts.pollMs ? { slaEveryMs: opts.pollMs * 20 } : {}) });

  pipeline.start();
  for (const adapter of adapters.all.values()) await adapter.start?.(adapterContext);
  learnNames();

  return {
    http, store, events, staffSide, bundle, adapters: adapters.all, ingest,
    tick: () => timers.run(),
    sweep: (wallNow?: number) => retention.run(wallNow),
    idle: (timeoutMs = 10_000) => pipeline.idle(timeoutMs),
    listen: () => http.listen({ port: config.port, host: config.host }),
    async close() {
      // new work stops first (jobs, requests, platforms), then what is in hand drains
      await timers.stop();
      await retention.stop();
      await http.close();
      for (const adapter of adapters.all.values()) await adapter.stop?.();
      await pipeline.stop();
      await staffSide.close();
      await events.close();
      await store.close();
    },
  };
}
