import type { Command } from "commander";
import { loadConfig } from "../config.ts";
import { openStore } from "../store/open.ts";
import type { Store } from "../store/port.ts";

/**
 * `npx frontdesk demo`: about three months of believable journeys in the configured
 * store, so a first start has reports to look at. Everything is played through the
 * real service — webhooks of every channel, the journal, the engine, the store — on a
 * clock that runs from three months ago to now, with the platforms' APIs answered by
 * the local fakes the tests use (test/fakes: nothing leaves the machine). Among the
 * people are the product story's Аристарх (gym flyer QR on Telegram, orders, rates 5,
 * brings a friend) and Люда (comes through his link on VK, her delivery is late, she
 * rates it 2, a person takes over). `--reset` removes what the demo made (see demo-reset.ts).
 */
const DAY = 86_400_000;

export function registerDemoCommand(program: Command): void {
  program
    .command("demo")
    .description("fill the configured store with three months of demo journeys (all channels, audiences, stages); --reset removes them")
    .option("--reset", "remove what the demo made")
    .option("--people <n>", "how many people besides the story's two", "160")
    .action(async (opts: { reset?: boolean; people: string }) => {
      const config = loadConfig();
      const store = await openStore(config);
      const where = store.kind === "redis" ? "Redis (REDIS_URL)" : `embedded SQLite in ${config.dataDir}`;
      if (opts.reset) {
        const { resetDemo } = await import("./demo-reset.ts");
        const removed = await resetDemo(store);
        await store.close();
        process.stdout.write(`Демо-данные удалены из ${where}: ${removed} контактов.\n`);
        return;
      }
      const made = await playDemo(store, Math.max(0, Math.min(1000, Number(opts.people) || 0)));
      process.stdout.write(
        `Готово: ${made.people} человек, ${made.orders} заказов за три месяца в ${where} ` +
          `(${(made.ms / 1000).toFixed(1)} с, из них процессор ${(made.cpuMs / 1000).toFixed(1)} с).\nОткройте /staff/reports. Убрать демо-данные: npx frontdesk demo --reset\n`,
      );
    });
}

export interface DemoMade {
  people: number;
  /** live contacts in the store when it finished (the demo's and any others) */
  contacts: number;
  orders: number;
  ms: number;
  cpuMs: number;
}

/** Plays the demo into `store` (the caller closes it) and lists its chats for --reset. */
export async function playDemo(store: Store, people: number): Promise<DemoMade> {
  const started = Date.now();
  const cpu0 = process.cpuUsage();
  // the test harness runs the whole service in-process against the local fake platforms
  const { startHarness } = await import("../../test/support/harness.ts");
  const { Journeys } = await import("../../test/support/journeys.ts");
  const { play, LAST_DAY } = await import("../../test/support/journey-plans.ts");
  const { STORY } = await import("./demo-story.ts");
  const { markDemo } = await import("./demo-reset.ts");
  const h = await startHarness({ store });
  const t0 = Math.floor((Date.now() - (LAST_DAY + 1) * DAY) / DAY) * DAY;
  const j = new Journeys(h, t0);
  let made: Omit<DemoMade, "ms" | "cpuMs">;
  try {
    await play(h, j, people, STORY);
    await j.until(Math.min(Date.now(), t0 + (LAST_DAY + 1) * DAY));
    await markDemo(store, j.people.map((p) => p.conversationKey));
    const contacts = (await store.reportReads?.().contacts())?.length ?? 0;
    made = { people: j.people.length, contacts, orders: j.people.reduce((n, p) => n + p.orders.length, 0) };
  } finally {
    await h.close();
  }
  const cpu = process.cpuUsage(cpu0);
  return { ...made, ms: Date.now() - started, cpuMs: (cpu.user + cpu.system) / 1000 };
}
