import type { Logger } from "pino";
import type { ChannelAdapter } from "../channel/port.ts";
import { createMaxAdapter, type MaxAdapter } from "../../adapters/max/index.ts";
import { createTelegramAdapter, type TelegramAdapter } from "../../adapters/telegram/index.ts";
import { createVkAdapter } from "../../adapters/vk/index.ts";
import { createWebAdapter } from "../../adapters/web/index.ts";
import type { WebLimits } from "../../adapters/web/limits.ts";
import { createWhatsAppAdapter } from "../../adapters/whatsapp/index.ts";
import type { Config } from "../config.ts";
import type { Bundle } from "../engine/bundle.ts";
import type { EventBus } from "../events/bus.ts";
import type { Channel } from "../model/channel.ts";
import { maxMarker } from "../moves/max-marker.ts";
import type { PhotoDeps } from "../photos/cache.ts";
import { PhotoFiles } from "../photos/files.ts";
import { peopleLine } from "../staff/people-line.ts";
import type { Store } from "../store/port.ts";

export interface AdapterOptions {
  telegram?: Parameters<typeof createTelegramAdapter>[1];
  adapters?: ChannelAdapter[];
  webLimits?: Partial<WebLimits>;
}

export interface Adapters {
  all: Map<Channel, ChannelAdapter>;
  telegram?: TelegramAdapter;
  max?: MaxAdapter;
}

/** the web chat always, each platform that is configured, then the caller's own (they replace) */
export function createAdapters(config: Config, opts: AdapterOptions, deps: { store: Store; events: EventBus; bundle: () => Bundle; now: () => number; log: Logger }): Adapters {
  const { store, now } = deps;
  const all = new Map<Channel, ChannelAdapter>();
  const shop = () => deps.bundle().shop;
  // catalogue photo files: each platform gets one upload, its id shared through the store
  const photoFiles = new PhotoFiles(() => deps.bundle().files.dir);
  const photos: PhotoDeps = { files: photoFiles, kv: store, log: deps.log };
  all.set("web", createWebAdapter({ store, events: deps.events, shopName: () => shop().name, presence: () => peopleLine(shop().hours, now()), photos: photoFiles, ...(opts.webLimits ? { limits: opts.webLimits } : {}) }));
  const telegram = config.telegram ? createTelegramAdapter(config.telegram, { photos, ...opts.telegram }) : undefined;
  if (telegram) all.set("telegram", telegram);
  if (config.whatsapp) all.set("whatsapp", createWhatsAppAdapter(config.whatsapp, { now, log: deps.log, photos }));
  if (config.vk) all.set("vk", createVkAdapter(config.vk, { photos }));
  const max = config.max ? createMaxAdapter(config.max, { marker: maxMarker(store), photos }) : undefined;
  if (max) all.set("max", max);
  for (const adapter of opts.adapters ?? []) all.set(adapter.channel, adapter);
  return { all, ...(telegram ? { telegram } : {}), ...(max ? { max } : {}) };
}
