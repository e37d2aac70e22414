import type { Command } from "commander";
import { loadConfig } from "../config.ts";
import { openStore } from "../store/open.ts";

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
      const started = Date.now();
      // the test harness runs the whole service in-process against the local fake platforms
      const { startHarness } = await import("../../test/support/harness.ts");
      const { Journeys } = await import("../../test/support/journeys.ts");
      const { play, LAST_DAY } = await import("../../test/support/journey-plans.ts");
      const { STORY } = await import("./demo-story.ts");
      const h = await startHarness({ store });
      const t0 = Math.floor((Date.now() - (LAST_DAY + 1) * DAY) / DAY) * DAY;
      const j = new Journeys(h, t0);
      try {
        await play(h, j, Math.max(0, Math.min(1000, Number(opts.people) || 0)), STORY);
        await j.until(Math.min(Date.now(), t0 + (LAST_DAY + 1) * DAY));
        const { markDemo } = await import("./demo-reset.ts");
        await markDemo(store, j.people.map((p) => p.conversationKey));
      } finally {
        await h.close();
      }
      process.stdout.write(
        `Готово: ${j.people.length} человек, ${j.people.reduce((n, p) => n + p.orders.length, 0)} заказов за три месяца в ${where} ` +
          `(${Math.round((Date.now() - started) / 1000)} с).\nОткройте /staff/reports. Убрать демо-данные: npx frontdesk demo --reset\n`,
      );
    });
}
