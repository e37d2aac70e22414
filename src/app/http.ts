import Fastify, { type FastifyBaseLogger, type FastifyInstance } from "fastify";
import type { Logger } from "pino";
import type { AdapterContext, ChannelAdapter } from "../channel/port.ts";
import type { Config } from "../config.ts";
import type { Bundle } from "../engine/bundle.ts";
import type { LinkBuilder } from "../engine/engine.ts";
import type { EventBus } from "../events/bus.ts";
import { registerEdge } from "../http/edge.ts";
import { registerHealth } from "../http/health.ts";
import { registerMoneyApi } from "../http/money-api.ts";
import { registerMovesApi } from "../http/moves-api.ts";
import { registerReports } from "../http/reports/index.ts";
import { registerStaffApi } from "../http/staff-api/index.ts";
import { registerStaffWeb } from "../http/staff/index.ts";
import type { Channel } from "../model/channel.ts";
import type { InboundEvent } from "../model/inbound.ts";
import type { EnqueueOutcome, Store } from "../store/port.ts";

export interface HttpDeps {
  config: Config;
  log: Logger;
  store: Store;
  events: EventBus;
  bundle: () => Bundle;
  now: () => number;
  ingest: (events: InboundEvent[]) => Promise<EnqueueOutcome[]>;
  links: LinkBuilder;
  adapters: Map<Channel, ChannelAdapter>;
  /** what the adapters' webhooks and polls hand their updates to */
  adapterContext: AdapterContext;
  refusalsPerAddress?: number;
}

/** The HTTP server: the edge first (headers, access log, refusal limit), then every route group. */
export async function createHttp(deps: HttpDeps): Promise<FastifyInstance> {
  const { config, store, ingest, now, bundle, events } = deps;
  const token = config.staffApiToken;
  const channels = () => [...deps.adapters.keys()];
  // request lines come from the edge's access log (one line, redacted)
  const http = Fastify({ loggerInstance: deps.log as FastifyBaseLogger, bodyLimit: 1024 * 1024, logController: new Fastify.LogController({ disableRequestLogging: true }) });
  await registerEdge(http, { log: deps.log, counters: store, ...(deps.refusalsPerAddress ? { refusalsPerAddress: deps.refusalsPerAddress } : {}) });
  for (const adapter of deps.adapters.values()) await adapter.register(http, deps.adapterContext);
  await registerHealth(http, { store });
  await registerStaffApi(http, { store, ingest, token, bundle, now });
  const reportLinks = (payload: string) => channels().map((channel) => ({ channel, url: deps.links(channel, payload) }));
  await registerReports(http, { store, token, bundle, now, links: reportLinks });
  await registerStaffWeb(http, { store, ingest, bundle, now, events, config });
  await registerMovesApi(http, { store, kv: store, ingest, links: deps.links, channels, token, now });
  await registerMoneyApi(http, { store, ingest, token, now });
  return http;
}
