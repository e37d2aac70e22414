import { z } from "zod";
import { channel, num, optional, updatesMode, url, webhookSecret } from "../../src/config-fields.ts";

/** Telegram's environment variables (src/config.ts merges them into the one schema). */
export const TelegramEnv = z.object({
  TELEGRAM_BOT_TOKEN: optional,
  TELEGRAM_WEBHOOK_SECRET: webhookSecret(1, "Telegram"),
  TELEGRAM_API_ROOT: url("https://api.telegram.org"),
  /** "webhook" (the default: needs TELEGRAM_WEBHOOK_SECRET) or "polling", asked for explicitly, for a shop without a public URL */
  TELEGRAM_MODE: updatesMode,
  /** the bot's overall send rate (Telegram: about 30/s; paid broadcasts allow more) */
  TELEGRAM_RATE_PER_SECOND: num(z.number().positive().max(1_000_000), 30),
  /** the staff group: a forum supergroup (-100…) where the bot is an admin that manages topics */
  TELEGRAM_STAFF_CHAT_ID: optional.pipe(z.string().regex(/^-100\d{5,20}$/, "must be a supergroup id such as -1001234567890").optional()),
  /** messages a minute into the staff group (Telegram: about 20 a minute per group) */
  TELEGRAM_STAFF_RATE_PER_MINUTE: num(z.number().positive().max(6000), 20),
  // --- bot (#15): Telegram payments
  TELEGRAM_PAYMENT_PROVIDER_TOKEN: optional,
});
export type TelegramEnv = z.infer<typeof TelegramEnv>;

export interface TelegramConfig {
  token: string;
  webhookSecret?: string;
  apiRoot: string;
  mode: "webhook" | "polling";
  /** overall sends per second; default 30 (Telegram's documented limit) */
  ratePerSecond?: number;
  /** TELEGRAM_STAFF_CHAT_ID: the staff group (topic per customer, alerts) */
  staffChatId?: string;
  /** sends a minute into the staff group */
  staffRatePerMinute?: number;
  /** payments: the provider token from @BotFather (Payments); without it invoices go with an empty token and Telegram refuses them */
  paymentProviderToken?: string;
}

/**
 * The bot's config, or undefined when it is off. Webhook is the default: a lone token
 * is half-set (as the README says), not a silent switch to long polling; polling is
 * there when asked for by name.
 */
export function telegramConfig(env: TelegramEnv, problems: string[]): TelegramConfig | undefined {
  const telegram = channel(env, "Telegram", ["TELEGRAM_BOT_TOKEN"], () => {
    const mode = env.TELEGRAM_MODE ?? "webhook";
    if (mode === "webhook" && !env.TELEGRAM_WEBHOOK_SECRET) {
      problems.push(
        "Telegram is half configured: TELEGRAM_BOT_TOKEN set but TELEGRAM_WEBHOOK_SECRET missing " +
          "(webhook mode is the default: `npx frontdesk init` writes one; or set TELEGRAM_MODE=polling to poll without a public URL)",
      );
    }
    return {
      token: env.TELEGRAM_BOT_TOKEN!,
      webhookSecret: env.TELEGRAM_WEBHOOK_SECRET,
      apiRoot: env.TELEGRAM_API_ROOT,
      mode,
      ratePerSecond: env.TELEGRAM_RATE_PER_SECOND,
      ...(env.TELEGRAM_STAFF_CHAT_ID ? { staffChatId: env.TELEGRAM_STAFF_CHAT_ID, staffRatePerMinute: env.TELEGRAM_STAFF_RATE_PER_MINUTE } : {}),
      ...(env.TELEGRAM_PAYMENT_PROVIDER_TOKEN ? { paymentProviderToken: env.TELEGRAM_PAYMENT_PROVIDER_TOKEN } : {}),
    } satisfies TelegramConfig;
  }, problems, ["TELEGRAM_WEBHOOK_SECRET", "TELEGRAM_MODE"]);
  if (env.TELEGRAM_STAFF_CHAT_ID && !telegram) problems.push("TELEGRAM_STAFF_CHAT_ID: the staff group needs the bot (set TELEGRAM_BOT_TOKEN)");
  return telegram;
}
