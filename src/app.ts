import { hostname } from "node:os";
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from "fastify";
import pino, { type Logger } from "pino";
import type { AdapterContext, ChannelAdapter } from "./channel/port.ts";
import { createTelegramAdapter, type TelegramAdapter } from "../adapters/telegram/index.ts";
import { createVkAdapter } from "../adapters/vk/index.ts";
import { createWebAdapter } from "../adapters/web/index.ts";
import type { WebLimits } from "../adapters/web/limits.ts";
import { createWhatsAppAdapter } from "../adapters/whatsapp/index.ts";
import { createMaxAdapter, type MaxAdapter } from "../adapters/max/index.ts";
import { maxMarker } from "./moves/max-marker.ts";
import { intakeWithMoves } from "./moves/redeem.ts";
import { rerouteUndeliverable } from "./moves/reroute.ts";
import { registerMovesApi } from "./http/moves-api.ts";
import type { Config } from "./config.ts";
import type { Bundle } from "./engine/bundle.ts";
import type { PhotoDeps } from "./photos/cache.ts";
import { PhotoFiles } from "./photos/files.ts";
import { loadBundle } from "./engine/check.ts";
import type { LinkBuilder } from "./engine/engine.ts";
import { registerEdge } from "./http/edge.ts";
import { registerHealth } from "./http/health.ts";
import { REDACT_PATHS } from "./http/redact.ts";
import { registerStaffApi } from "./http/staff-api.ts";
import { registerReports } from "./http/reports/index.ts";
import { registerStaffWeb } from "./http/staff/index.ts";
import { peopleLine } from "./staff/people-line.ts";
import { registerMoneyApi } from "./http/money-api.ts";
import type { Channel } from "./model/channel.ts";
import type { InboundEvent } from "./model/inbound.ts";
import type { OutboxItem } from "./model/outbound.ts";
import { Pump } from "./pipeline/pump.ts";
import { fireDueTimers } from "./pipeline/scheduler.ts";
import { singleFlight } from "./pipeline/single-flight.ts";
import { pruneSentReplies } from "./pipeline/retention.ts";
import { Sender, type SenderDeps } from "./pipeline/sender.ts";
import { RECENT_ORDERS, Worker } from "./pipeline/worker.ts";
import { openStore } from "./store/open.ts";
import type { EventBus } from "./events/bus.ts";
import { openEventBus } from "./events/open.ts";
import { SqliteStore } from "./store/sqlite.ts";
import { startStaffSide, type StaffSide } from "./staff/start.ts";
import type { EnqueueOutcome, JournalEntry, Store } from "./store/port.ts";

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
  const bundle = await loadBundle(config.flowsDir);
  const workerId = `${hostname()}:${process.pid}:${Math.random().toString(36).slice(2, 8)}`;

  const adapters = new Map<Channel, ChannelAdapter>();
  // catalogue photo files: each platform gets one upload, its id shared through the store
  const photoFiles = new PhotoFiles(() => bundle.files.dir);
  const photos: PhotoDeps = { files: photoFiles, kv: store, log };
  const web = createWebAdapter({ store, events, shopName: () => bundle.shop.name, presence: () => peopleLine(bundle.shop.hours, now()), photos: photoFiles, ...(opts.webLimits ? { limits: opts.webLimits } : {}) });
  adapters.set("web", web);
  let telegram: TelegramAdapter | undefined;
  if (config.telegram) {
    telegram = createTelegramAdapter(config.telegram, { photos, ...opts.telegram });
    adapters.set("telegram", telegram);
  }
  if (config.whatsapp) adapters.set("whatsapp", createWhatsAppAdapter(config.whatsapp, { now, log, photos }));
  if (config.vk) adapters.set("vk", createVkAdapter(config.vk, { photos }));
  const max: MaxAdapter | undefined = config.max ? createMaxAdapter(config.max, { marker: maxMarker(store), photos }) : undefined;
  if (max) adapters.set("max", max);
  for (const adapter of opts.adapters ?? []) adapters.set(adapter.channel, adapter);

  let botUsername: string | undefined;
  let maxUsername: string | undefined;
  const publicUrl = config.publicUrl ?? `http://localhost:${config.port}`;
  const links: LinkBuilder = (channel, payload) => {
    if (channel === "telegram" && botUsername) return `https://t.me/${botUsername}?start=${payload}`;
    if (channel === "vk" && config.vk) return `https://vk.me/club${config.vk.groupId}?ref=${payload}`;
    if (channel === "max" && maxUsername) return `https://max.ru/${maxUsername}?start=${payload}`;
    return `${publicUrl}/?start=${payload}`;
  };

  // request lines come from the edge's access log (one line, redacted)
  const http: FastifyInstance = Fastify({ loggerInstance: log as FastifyBaseLogger, bodyLimit: 1024 * 1024, logController: new Fastify.LogController({ disableRequestLogging: true }) });
  await registerEdge(http, { log, counters: store, ...(opts.refusalsPerAddress ? { refusalsPerAddress: opts.refusalsPerAddress } : {}) });

  // the pumps and ingest refer to each other: ingest wakes the worker, the worker the sender
  let workerPump: Pump<JournalEntry> | undefined;
  let senderPump: Pump<OutboxItem> | undefined;
  // leases a write may take for this process (none for a pump that is stopping)
  const inboundLease = (max: number) => ({ workerId, leaseMs: config.inboundLeaseMs, now: now(), max });
  const outboxLease = () => (senderPump?.accepting ? { leaseMs: config.outboxLeaseMs, now: Date.now() } : undefined);
  // An entry that is its chat's only one is leased to this process in the same write
  // and handed to the worker at once; the rest wait for the worker to claim them.
  const ingest = async (events: InboundEvent[]): Promise<EnqueueOutcome[]> => {
    if (events.length === 0) return [];
    const { outcomes, claimed } = await store.enqueueAndClaim(events, {
      ...inboundLease(workerPump?.free() ?? 0),
      turnOrders: RECENT_ORDERS,
    });
    workerPump?.offer(claimed);
    if (claimed.length < outcomes.filter((o) => o === "queued").length) workerPump?.wake();
    return outcomes;
  };

  const worker = new Worker({
    store,
    bundle: () => bundle,
    now,
    links,
    log,
    leases: () => {
      const outbox = outboxLease();
      return {
        ...(workerPump?.accepting ? { inbound: inboundLease(1) } : {}),
        ...(outbox ? { outbox } : {}),
      };
    },
    onOutbox: (leased) => {
      if (leased.length > 0) senderPump?.offer(leased);
      else senderPump?.wake(); // the chat's head is busy or waiting: let a claim sort it out
    },
    enqueue: ingest,
    events,
  });
  // Delivery timing (rate limits, retry backoff) runs on the wall clock; the business
  // clock (`now`) drives the journey, timers and the WhatsApp window.
  const channels = () => [...adapters.keys()];
  const reroute = rerouteUndeliverable({ store, channels, enqueue: ingest, now, log });
  const sender = new Sender({ store, adapters, now: Date.now, log, enqueue: ingest, lease: outboxLease, events, reroute, ...(opts.sendRates ? { rates: opts.sendRates } : {}) });

  const pollMs = opts.pollMs ?? 250;
  workerPump = new Pump<JournalEntry>({
    name: "worker",
    concurrency: config.workerConcurrency,
    pollMs,
    claim: (max) => store.claimInbound(workerId, max, config.inboundLeaseMs, now()),
    handle: (entry) => worker.process(entry),
    onError: (err) => log.error({ err }, "worker"),
  });
  senderPump = new Pump<OutboxItem>({
    name: "sender",
    concurrency: 32,
    pollMs,
    claim: (max) => store.claimOutbox(max, config.outboxLeaseMs, Date.now()),
    handle: (item) => sender.deliver(item),
    onError: (err) => log.error({ err }, "sender"),
  });

  // a tick asked for while one runs waits for a fresh one: it must see the clock as it is now
  const tick = singleFlight(async () => {
    try {
      while ((await fireDueTimers(store, now(), 200)) > 0) workerPump.wake();
    } catch (err) {
      log.error({ err }, "timers");
    }
  });
  const timerLoop = setInterval(() => void tick(), 1000);
  timerLoop.unref();

  // retention runs on the wall clock, as sends are stamped with it
  let sweeping: Promise<number> | undefined;
  const sweep = (wallNow = Date.now()): Promise<number> =>
    (sweeping ??= pruneSentReplies(store, config.outboxRetentionDays, wallNow)
      .then(
        (deleted) => {
          if (deleted > 0) log.info({ deleted, keepDays: config.outboxRetentionDays }, "retention: old sent replies deleted");
          return deleted;
        },
        (err: unknown) => {
          log.error({ err }, "retention");
          return 0;
        },
      )
      .finally(() => (sweeping = undefined)));
  const retentionStart = setTimeout(() => void sweep(), RETENTION_FIRST_MS);
  const retentionLoop = setInterval(() => void sweep(), RETENTION_EVERY_MS);
  retentionStart.unref();
  retentionLoop.unref();

  // what platforms deliver redeems one-time move codes (src/moves) on the way in
  const ctx: AdapterContext = { ingest: intakeWithMoves(ingest, { store, kv: store, now, log }), log, findOrder: (id) => store.getOrder(id) };
  for (const adapter of adapters.values()) await adapter.register(http, ctx);
  await registerHealth(http, { store });
  await registerStaffApi(http, { store, ingest, token: config.staffApiToken, bundle: () => bundle, now });
  await registerReports(http, { store, token: config.staffApiToken, bundle: () => bundle, now, links: (payload) => [...adapters.keys()].map((channel) => ({ channel, url: links(channel, payload) })) });
  await registerStaffWeb(http, { store, ingest, bundle: () => bundle, now, events, config });
  const staffSide = await startStaffSide({ config, store, bundle: () => bundle, now, log, ingest, events, telegram, ...(opts.pollMs ? { slaEveryMs: opts.pollMs * 20 } : {}) });
  await registerMovesApi(http, { store, kv: store, ingest, links, channels, token: config.staffApiToken, now });
  await registerMoneyApi(http, { store, ingest, token: config.staffApiToken, now });

  workerPump.start();
  senderPump.start();
  for (const adapter of adapters.values()) await adapter.start?.(ctx);
  if (telegram) {
    telegram.getBotInfo().then(
      (me) => (botUsername = me.username),
      (err: unknown) => log.warn({ err: String(err) }, "telegram getMe failed; referral links use the web chat until it works"),
    );
  }

  max?.getUsername().then(
    (name) => (maxUsername = name),
    (err: unknown) => log.warn({ err: String(err) }, "max: GET /me failed; MAX links use the web chat until it works"),
  );

  return {
    http,
    store,
    events,
    staffSide,
    bundle: () => bundle,
    adapters,
    ingest,
    tick,
    sweep,
    async idle(timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const pending = await store.pendingInbound();
        const out = await store.listOutbox({ status: "pending", limit: 1 });
        if (pending === 0 && out.length === 0) return;
        if (Date.now() > deadline) throw new Error(`not idle after ${timeoutMs} ms: ${pending} inbound, ${out.length} outbound pending`);
        // wait for what the pumps have in hand rather than on a timer; the short pause
        // covers work they could not claim yet (leased elsewhere, a retry not yet due)
        workerPump.wake();
        senderPump.wake();
        await Promise.all([workerPump.quiet(), senderPump.quiet()]);
        await new Promise((r) => setTimeout(r, 1));
      }
    },
    async listen() {
      return http.listen({ port: config.port, host: config.host });
    },
    async close() {
      clearInterval(timerLoop);
      clearTimeout(retentionStart);
      clearInterval(retentionLoop);
      await sweeping;
      await http.close();
      for (const adapter of adapters.values()) await adapter.stop?.();
      await workerPump.stop();
      await senderPump.stop();
      await staffSide.close();
      await events.close();
      await store.close();
    },
  };
}
