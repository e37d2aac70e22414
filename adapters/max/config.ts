import { z } from "zod";
import { optional, updatesMode, url, webhookSecret } from "../../src/config-fields.ts";

/** MAX's environment variables (src/config.ts merges them into the one schema). */
export const MaxEnv = z.object({
  /** MAX (max.ru): the bot token from business.max.ru; off while unset */
  MAX_BOT_TOKEN: optional,
  /** sent by MAX in X-Max-Bot-Api-Secret on every webhook call (M3: 5-256 chars of A-Z a-z 0-9 _ -) */
  MAX_WEBHOOK_SECRET: webhookSecret(5, "MAX"),
  MAX_API_BASE: url("https://platform-api2.max.ru"),
  /** "webhook" (default when a secret is set) or "polling" for a shop without a public URL */
  MAX_MODE: updatesMode,
});
export type MaxEnv = z.infer<typeof MaxEnv>;

export interface MaxConfig {
  token: string;
  webhookSecret?: string;
  apiBase: string;
  mode: "webhook" | "polling";
}

/** MAX: the token switches it on; webhook mode needs the secret, polling does not. */
export function maxConfig(env: MaxEnv, problems: string[]): MaxConfig | undefined {
  const mode = env.MAX_MODE ?? (env.MAX_WEBHOOK_SECRET ? "webhook" : env.MAX_BOT_TOKEN ? "polling" : undefined);
  if (env.MAX_BOT_TOKEN === undefined) {
    const set = (["MAX_WEBHOOK_SECRET", "MAX_MODE"] as const).filter((k) => env[k] !== undefined);
    if (set.length > 0) problems.push(`MAX is half configured: ${set.join(", ")} set but MAX_BOT_TOKEN missing`);
    return undefined;
  }
  if (mode === "webhook" && !env.MAX_WEBHOOK_SECRET) {
    problems.push("MAX_WEBHOOK_SECRET: required in webhook mode (or set MAX_MODE=polling)");
  }
  return { token: env.MAX_BOT_TOKEN, webhookSecret: env.MAX_WEBHOOK_SECRET, apiBase: env.MAX_API_BASE, mode: mode ?? "polling" };
}
