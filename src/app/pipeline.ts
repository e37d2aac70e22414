import { hostname } from "node:os";
import type { Logger } from "pino";
import type { ChannelAdapter } from "../channel/port.ts";
import type { Config } from "../config.ts";
import type { Bundle } from "../engine/bundle.ts";
import type { LinkBuilder } from "../engine/engine.ts";
import type { EventBus } from "../events/bus.ts";
import type { Channel } from "../model/channel.ts";
import type { InboundEvent } from "../model/inbound.ts";
import type { OutboxItem } from "../model/outbound.ts";
import { rerouteUndeliverable } from "../moves/reroute.ts";
import { Pump } from "../pipeline/pump.ts";
import { Sender, type SenderDeps } from "../pipeline/sender.ts";
import { RECENT_ORDERS, Worker } from "../pipeline/worker.ts";
import type { EnqueueOutcome, JournalEntry, Store } from "../store/port.ts";

export interface PipelineDeps {
  config: Config;
  store: Store;
  events: EventBus;
  adapters: Map<Channel, ChannelAdapter>;
  bundle: () => Bundle;
  now: () => number;
  log: Logger;
  links: LinkBuilder;
  pollMs: number;
  sendRates?: SenderDeps["rates"];
}

/** the pipeline as the rest of the app sees it: its pumps and leases stay inside */
export interface Pipeline {
  ingest: (events: InboundEvent[]) => Promise<EnqueueOutcome[]>;
  /** due timers were fired: the worker has entries to claim */
  wakeWorker(): void;
  /** resolves when nothing is queued or being sent */
  idle(timeoutMs: number): Promise<void>;
  start(): void;
  stop(): Promise<void>;
}

/**
 * Ingest, the worker and the sender with their two pumps. They refer to each other
 * (ingest wakes the worker, the worker the sender, the sender reroutes through
 * ingest); those references are made here and nowhere else.
 */
export function createPipeline(deps: PipelineDeps): Pipeline {
  const { config, store, log, now } = deps;
  const workerId = `${hostname()}:${process.pid}:${Math.random().toString(36).slice(2, 8)}`;
  // the pumps are made first; what they call (worker, sender) is only called once they start
  const workerPump: Pump<JournalEntry> = new Pump<JournalEntry>({
    name: "worker", concurrency: config.workerConcurrency, pollMs: deps.pollMs, onError: (err) => log.error({ err }, "worker"),
    claim: (max) => store.claimInbound(workerId, max, config.inboundLeaseMs, now()),
    handle: (entry) => worker.process(entry),
  });
  const senderPump: Pump<OutboxItem> = new Pump<OutboxItem>({
    name: "sender", concurrency: 32, pollMs: deps.pollMs, onError: (err) => log.error({ err }, "sender"),
    claim: (max) => store.claimOutbox(max, config.outboxLeaseMs, Date.now()),
    handle: (item) => sender.deliver(item),
  });
  // leases a write may take for this process (none for a pump that is stopping)
  const inboundLease = (max: number) => ({ workerId, leaseMs: config.inboundLeaseMs, now: now(), max });
  const outboxLease = () => (senderPump.accepting ? { leaseMs: config.outboxLeaseMs, now: Date.now() } : undefined);

  // An entry that is its chat's only one is leased to this process in the same write
  // and handed to the worker at once; the rest wait for the worker to claim them.
  const ingest = async (events: InboundEvent[]): Promise<EnqueueOutcome[]> => {
    if (events.length === 0) return [];
    const { outcomes, claimed } = await store.enqueueAndClaim(events, { ...inboundLease(workerPump.free()), turnOrders: RECENT_ORDERS });
    workerPump.offer(claimed);
    if (claimed.length < outcomes.filter((o) => o === "queued").length) workerPump.wake();
    return outcomes;
  };

  const worker: Worker = new Worker({
    store, bundle: deps.bundle, now, links: deps.links, log, events: deps.events, enqueue: ingest,
    leases: () => {
      const outbox = outboxLease();
      return { ...(workerPump.accepting ? { inbound: inboundLease(1) } : {}), ...(outbox ? { outbox } : {}) };
    },
    onOutbox: (leased) => {
      if (leased.length > 0) senderPump.offer(leased);
      else senderPump.wake(); // the chat's head is busy or waiting: let a claim sort it out
    },
  });
  // Delivery timing (rate limits, retry backoff) runs on the wall clock; the business
  // clock (`now`) drives the journey, timers and the WhatsApp window.
  const channels = () => [...deps.adapters.keys()];
  const reroute = rerouteUndeliverable({ store, channels, enqueue: ingest, now, log });
  const sender: Sender = new Sender({
    store, adapters: deps.adapters, now: Date.now, log, enqueue: ingest, lease: outboxLease, events: deps.events, reroute,
    ...(deps.sendRates ? { rates: deps.sendRates } : {}),
  });

  return {
    ingest,
    wakeWorker: () => workerPump.wake(),
    async idle(timeoutMs) {
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
    start() {
      workerPump.start();
      senderPump.start();
    },
    async stop() {
      await workerPump.stop();
      await senderPump.stop();
    },
  };
}
