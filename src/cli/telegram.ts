import type { Command } from "commander";
import { cliConfig, fail } from "./common.ts";

/** `frontdesk telegram set-webhook`: register the bot's webhook with its secret. */
export function registerTelegramCommands(program: Command): void {
  const telegram = program.command("telegram").description("Telegram bot setup");
  telegram
    .command("set-webhook")
    .description("register https://<your host>/webhooks/telegram with the secret and the update types the bot uses")
    .requiredOption("--url <url>", "public base URL of this service, e.g. https://shop.example.com")
    .action(async (opts: { url: string }) => {
      const c = cliConfig();
      if (!c.telegram) fail("set TELEGRAM_BOT_TOKEN (and TELEGRAM_WEBHOOK_SECRET) first, or run: npx frontdesk init", 78);
      if (!c.telegram.webhookSecret) fail("set TELEGRAM_WEBHOOK_SECRET: the webhook must carry a secret", 78);
      const { setTelegramWebhook } = await import("../../adapters/telegram/index.ts");
      const url = `${opts.url.replace(/\/+$/, "")}/webhooks/telegram`;
      await setTelegramWebhook(c.telegram, url);
      process.stdout.write(`webhook set: ${url}\n`);
    });
}
