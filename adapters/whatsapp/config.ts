import { z } from "zod";
import { channel, num, optional, url } from "../../src/config-fields.ts";

/** WhatsApp Cloud API's environment variables (src/config.ts merges them into the one schema). */
export const WhatsAppEnv = z.object({
  WHATSAPP_ACCESS_TOKEN: optional,
  WHATSAPP_PHONE_NUMBER_ID: optional,
  WHATSAPP_APP_SECRET: optional,
  WHATSAPP_VERIFY_TOKEN: optional,
  WHATSAPP_API_BASE: url("https://graph.facebook.com"),
  /** template sent when the 24-hour window is closed; unset = hold for staff */
  WHATSAPP_TEMPLATE_NAME: optional,
  WHATSAPP_TEMPLATE_LANGUAGE: optional.transform((v) => v ?? "ru"),
  WHATSAPP_RATE_PER_SECOND: num(z.number().positive().max(1000), 20),
});
export type WhatsAppEnv = z.infer<typeof WhatsAppEnv>;

export interface WhatsAppConfig {
  accessToken: string;
  phoneNumberId: string;
  appSecret: string;
  verifyToken: string;
  apiBase: string;
  template?: { name: string; language: string };
  ratePerSecond: number;
}

/** The number's config, or undefined when it is off (all four credentials or none). */
export function whatsAppConfig(env: WhatsAppEnv, problems: string[]): WhatsAppConfig | undefined {
  return channel(
    env,
    "WhatsApp",
    ["WHATSAPP_ACCESS_TOKEN", "WHATSAPP_PHONE_NUMBER_ID", "WHATSAPP_APP_SECRET", "WHATSAPP_VERIFY_TOKEN"],
    () =>
      ({
        accessToken: env.WHATSAPP_ACCESS_TOKEN!,
        phoneNumberId: env.WHATSAPP_PHONE_NUMBER_ID!,
        appSecret: env.WHATSAPP_APP_SECRET!,
        verifyToken: env.WHATSAPP_VERIFY_TOKEN!,
        apiBase: env.WHATSAPP_API_BASE,
        template: env.WHATSAPP_TEMPLATE_NAME
          ? { name: env.WHATSAPP_TEMPLATE_NAME, language: env.WHATSAPP_TEMPLATE_LANGUAGE }
          : undefined,
        ratePerSecond: env.WHATSAPP_RATE_PER_SECOND,
      }) satisfies WhatsAppConfig,
    problems,
    ["WHATSAPP_TEMPLATE_NAME"],
  );
}
