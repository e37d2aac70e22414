import type { Logger } from "pino";
import type { TelegramAdapter } from "../../adapters/telegram/index.ts";
import type { Config } from "../config.ts";
import type { Bundle } from "../engine/bundle.ts";
import type { InboundEvent } from "../model/inbound.ts";
import type { CustomerReads, EnqueueOutcome, KeyValuePort } from "../store/port.ts";
import type { EventBus } from "../events/bus.ts";
import { SlaWatch } from "./sla-watch.ts";
import { StaffGroupDesk } from "./telegram-group/desk.ts";

/**
 * The staff side's background work, wired by one call from app.ts: the SLA watch (a
 * timer loop) and, with TELEGRAM_STAFF_CHAT_ID, the Telegram staff group desk.
 */
export interface StaffSideDeps {
  config: Config;
  store: CustomerReads & KeyValuePort;
  bundle: () => Bundle;
  now: () => number;
  log: Logger;
  ingest: (events: InboundEvent[]) => Promise<EnqueueOutcome[]>;
  events: EventBus;
  telegram: TelegramAdapter | undefined;
  /** how often the SLA is checked (default 15 s) */
  slaEveryMs?: number;
}

export interface StaffSide {
  sla: SlaWatch;
  group: StaffGroupDesk | undefined;
  close(): Promise<void>;
}

export async function startStaffSide(d: StaffSideDeps): Promise<StaffSide> {
  const log = d.log.child({ part: "staff" });
  const sla = new SlaWatch({ store: d.store, bundle: d.bundle, now: d.now, events: d.events, log });
  const loop = setInterval(() => void sla.check(), d.slaEveryMs ?? 15_000);
  loop.unref();

  let group: StaffGroupDesk | undefined;
  if (d.telegram && d.config.telegram?.staffChatId) {
    let desk: StaffGroupDesk | undefined;
    const api = d.telegram.staffGroup((message) => desk?.onGroupMessage(message) ?? Promise.resolve());
    if (api) {
      desk = new StaffGroupDesk({
        api,
        store: d.store,
        events: d.events,
        bundle: d.bundle,
        ingest: d.ingest,
        now: d.now,
        log: log.child({ telegramGroup: d.config.telegram.staffChatId }),
        perMinute: d.config.telegram.staffRatePerMinute ?? 20,
      });
      await desk.start();
      group = desk;
    }
  }
  return {
    sla,
    group,
    async close() {
      clearInterval(loop);
      await sla.check();
      await group?.close();
    },
  };
}
