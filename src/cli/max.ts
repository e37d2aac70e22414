import type { Command } from "commander";
import { ConfigError, loadConfig } from "../config.ts";

/** `npx frontdesk max …`: MAX bot setup. */
export function registerMaxCommands(program: Command): void {
  const max = program.command("max").description("MAX bot setup");
  max
    .command("set-webhook")
    .description("subscribe https://<your host>/webhooks/max with the secret and the update types the bot reads")
    .requiredOption("--url <url>", "public base URL of this service, e.g. https://shop.example.com")
    .action(async (opts: { url: string }) => {
      const fail = (message: string, code: number): never => {
        process.stderr.write(`${message}\n`);
        process.exit(code);
      };
      let c;
      try {
        c = loadConfig();
      } catch (err) {
        if (err instanceof ConfigError) fail(err.message, 78);
        throw err;
      }
      if (!c.max) return fail("set MAX_BOT_TOKEN (and MAX_WEBHOOK_SECRET) first", 78);
      if (!c.max.webhookSecret) return fail("set MAX_WEBHOOK_SECRET: MAX must send it with every update", 78);
      const { setMaxWebhook } = await import("../../adapters/max/index.ts");
      try {
        const { url, removed } = await setMaxWebhook(c.max, opts.url);
        process.stdout.write(`webhook set: ${url}\n`);
        for (const r of removed) process.stdout.write(`removed the old subscription ${r}\n`);
        if (c.max.mode === "polling") process.stdout.write("note: MAX_MODE=polling; set MAX_MODE=webhook (MAX sends nothing to polling while a subscription exists)\n");
      } catch (err) {
        fail(`could not set the MAX webhook: ${err instanceof Error ? err.message : String(err)}`, 1);
      }
    });
}
