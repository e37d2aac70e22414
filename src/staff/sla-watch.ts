import type { Logger } from "pino";
import type { Bundle } from "../engine/bundle.ts";
import type { ConversationReads, JourneyReads, KeyValuePort } from "../store/port.ts";
import type { EventBus } from "../events/bus.ts";
import { workingMsBetween } from "./hours.ts";
import { handoffEpisodes, markSlaBreach } from "./sla.ts";

/**
 * The periodic SLA check: a chat handed to a person and not answered by one within
 * `sla.firstResponseMinutes` of working time is marked (key-value port, see sla.ts)
 * and an `alert` event with data.reason "sla_breach" goes on the event bus (the staff
 * group posts it; the inbox can show the mark). Every instance may run it: the mark is
 * written once (ifAbsent) and only the instance that wrote it publishes.
 */
export interface SlaWatchDeps {
  store: ConversationReads & JourneyReads & KeyValuePort;
  bundle: () => Bundle;
  /** the business clock (handoffs are stamped with it) */
  now: () => number;
  events: Pick<EventBus, "publish"> | undefined;
  log: Logger;
}

export class SlaWatch {
  /** handoffs answered or already marked (conversationKey@since): not looked at again */
  private readonly settled = new Set<string>();
  private running: Promise<number> | undefined;

  constructor(private readonly d: SlaWatchDeps) {}

  /** one pass; answers how many breaches this call recorded */
  check(): Promise<number> {
    return (this.running ??= this.pass()
      .catch((err: unknown) => {
        this.d.log.error({ err }, "sla watch");
        return 0;
      })
      .finally(() => (this.running = undefined)));
  }

  private async pass(): Promise<number> {
    const { shop } = this.d.bundle();
    const target = shop.sla.firstResponseMinutes * 60_000;
    const now = this.d.now();
    let breaches = 0;
    for (const conv of await this.d.store.listConversations({ inHandoff: true, limit: 1000 })) {
      const handoff = conv.handoff;
      if (!handoff) continue;
      const id = `${conv.key}@${handoff.since}`;
      if (this.settled.has(id) || workingMsBetween(shop.hours, handoff.since, now) < target) continue;
      const episodes = handoffEpisodes(await this.d.store.listTouchpoints(conv.contactId, 2000), shop.hours, now);
      const episode = episodes.find((e) => e.conversationKey === conv.key && e.startedAt === handoff.since) ?? episodes.filter((e) => e.conversationKey === conv.key).at(-1);
      if (episode?.answered) {
        this.settled.add(id);
        continue;
      }
      const breach = { conversationKey: conv.key, contactId: conv.contactId, since: handoff.since, at: now, minutes: shop.sla.firstResponseMinutes, queue: handoff.queue };
      if (!(await markSlaBreach(this.d.store, breach))) {
        this.settled.add(id); // marked already (here or by another instance): nothing more to say
        continue;
      }
      breaches++;
      this.d.events?.publish([
        {
          at: now,
          kind: "alert",
          conversationKey: conv.key,
          contactId: conv.contactId,
          summary: `no first answer within ${shop.sla.firstResponseMinutes} working minutes`,
          data: { reason: "sla_breach", since: handoff.since, minutes: shop.sla.firstResponseMinutes, queue: handoff.queue },
        },
      ]);
    }
    if (this.settled.size > 50_000) this.settled.clear();
    return breaches;
  }
}
