import { Api } from "grammy";
import type { TelegramConfig } from "./config.ts";

/** The update types the adapter reads; others are not even sent to us. */
export const ALLOWED_UPDATES = ["message", "callback_query", "my_chat_member"] as const;

/** Points Telegram at our webhook (run once from the CLI when the public URL changes). */
export async function setTelegramWebhook(config: TelegramConfig, url: string): Promise<void> {
  if (!config.webhookSecret) throw new Error("TELEGRAM_WEBHOOK_SECRET is required to set a webhook");
  const api = new Api(config.token, { apiRoot: config.apiRoot, timeoutSeconds: 30 });
  await api.setWebhook(url, {
    secret_token: config.webhookSecret,
    allowed_updates: [...ALLOWED_UPDATES],
    drop_pending_updates: false,
  });
}
