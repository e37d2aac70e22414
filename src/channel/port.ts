import type { Order } from "../model/domain.ts";
import type { FastifyInstance } from "fastify";
import type { Logger } from "pino";
import type { Channel, ChannelCapabilities } from "../model/channel.ts";
import type { InboundEvent } from "../model/inbound.ts";
import type { OutboxItem } from "../model/outbound.ts";
import type { EnqueueOutcome } from "../store/port.ts";

/**
 * One interface every channel implements (Telegram, WhatsApp, VK, MAX, the web chat).
 * Nothing outside adapters/ imports a platform SDK, and no adapter imports another.
 *
 * Inbound: the adapter's routes verify, parse and call `ingest` with one event per
 * message of a batch; they answer the platform only after ingest resolved (the
 * events are durably queued by then).
 * Outbound: `send` delivers one rendered part and maps the platform's errors onto
 * SendFailure, so the sender retries, waits or parks without knowing the platform.
 */
export type Ingest = (events: InboundEvent[]) => Promise<EnqueueOutcome[]>;

export interface AdapterContext {
  ingest: Ingest;
  log: Logger;
  /** an order by id (Telegram's pre-checkout asks whether it still stands) */
  findOrder?: (id: string) => Promise<Order | null>;
}

export type SendFailure =
  /** 429 / flood control: wait this long, then try again */
  | { kind: "rate_limited"; retryAfterMs: number; message: string }
  /** 5xx, network, timeout: try again with backoff */
  | { kind: "transient"; message: string }
  /** the customer blocked the bot or cannot be written to */
  | { kind: "unreachable"; message: string }
  /** WhatsApp 24-hour window closed and no template: hold for staff */
  | { kind: "window_closed"; message: string }
  /** the request itself is wrong; retrying will not help */
  | { kind: "permanent"; message: string };

export type SendResult = { ok: true; platformMessageIds: string[] } | { ok: false; error: SendFailure };

export interface RateLimit {
  /** messages per second over the whole channel */
  perSecond: number;
  /** sustained messages per second to one chat */
  perChatPerSecond: number;
  /** how many messages one chat may get in a short burst before perChatPerSecond applies */
  perChatBurst: number;
}

export interface ChannelAdapter {
  readonly channel: Channel;
  readonly capabilities: ChannelCapabilities;
  readonly rate: RateLimit;
  /** register webhook routes (under /webhooks/<channel>) on the app */
  register(app: FastifyInstance, ctx: AdapterContext): Promise<void>;
  /** deliver one outbox item; never throws for platform errors */
  send(item: OutboxItem): Promise<SendResult>;
  /** the store has recorded `item` as sent (the web chat wakes its long-polls here) */
  recorded?(item: OutboxItem): void;
  /** background work such as long polling; stopped on shutdown */
  start?(ctx: AdapterContext): Promise<void>;
  stop?(): Promise<void>;
}
