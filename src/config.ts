import { z } from "zod";

/**
 * Configuration from the environment (names from BRIEF.md's interface contract).
 * A channel is on when its required variables are all set; setting only some of
 * them is an error that names what is missing, so a typo is not silently "off".
 */
const optional = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === "" ? undefined : v.trim()));

/** A number from an env string; `fallback` when unset. */
const num = (check: z.ZodNumber, fallback: number) =>
  optional.transform((v, ctx) => {
    if (v === undefined) return fallback;
    const parsed = check.safeParse(Number(v));
    if (v.trim() === "" || !parsed.success) {
      ctx.addIssue({ code: "custom", message: `must be ${describeNumber(check)}, got "${v}"` });
      return z.NEVER;
    }
    return parsed.data;
  });

function describeNumber(check: z.ZodNumber): string {
  const parts = [check.format === "safeint" ? "a whole number" : "a number"];
  if (check.minValue !== null && Number.isFinite(check.minValue)) parts.push(`>= ${check.minValue}`);
  if (check.maxValue !== null && Number.isFinite(check.maxValue)) parts.push(`<= ${check.maxValue}`);
  return parts.join(" ");
}

const url = (fallback: string) =>
  optional.pipe(
    z
      .string()
      .url("must be a URL such as http://127.0.0.1:8081")
      .optional()
      .transform((v) => (v ?? fallback).replace(/\/+$/, "")),
  );

const EnvSchema = z.object({
  PORT: num(z.number().int().min(0).max(65535), 3000),
  HOST: optional.transform((v) => v ?? "0.0.0.0"),
  DATA_DIR: optional.transform((v) => v ?? "./data"),
  REDIS_URL: optional.pipe(z.string().regex(/^rediss?:\/\//, "must start with redis:// or rediss://").optional()),
  LOG_LEVEL: optional.pipe(
    z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).optional().transform((v) => v ?? "info"),
  ),
  FLOWS_DIR: optional.transform((v) => v ?? "./flows"),
  /** bearer token for the staff and owner HTTP API; without it the API answers 503 */
  STAFF_API_TOKEN: optional,
  PUBLIC_URL: optional,
  WORKER_CONCURRENCY: num(z.number().int().min(1).max(256), 64),
  /** how long a claimed message / reply is reserved for one instance before another may take it */
  INBOUND_LEASE_MS: num(z.number().int().min(1000).max(600_000), 30_000),
  OUTBOX_LEASE_MS: num(z.number().int().min(1000).max(600_000), 30_000),
  /** sent replies are deleted this many days after they went out; 0 keeps them forever */
  OUTBOX_RETENTION_DAYS: num(z.number().int().min(0).max(3650), 90),

  /** staff web pages (src/http/staff): behind a reverse proxy that sets X-Forwarded-Proto/-For */
  TRUST_PROXY: optional.pipe(z.enum(["0", "1", "true", "false"], { message: "must be true or false" }).optional()),
  /** open chats one operator is given at most by routing */
  STAFF_MAX_OPEN_CHATS: num(z.number().int().min(1).max(500), 8),
  /** a chat nobody answered for this many minutes is offered to the next operator */
  STAFF_OFFER_AFTER_MINUTES: num(z.number().int().min(1).max(1440), 5),

  TELEGRAM_BOT_TOKEN: optional,
  TELEGRAM_WEBHOOK_SECRET: optional.pipe(
    z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,256}$/, "must be 1-256 characters of A-Z a-z 0-9 _ - (Telegram's rule)")
      .optional(),
  ),
  TELEGRAM_API_ROOT: url("https://api.telegram.org"),
  /** "webhook" (default when a secret is set) or "polling" for a shop without a public URL */
  TELEGRAM_MODE: optional.pipe(z.enum(["webhook", "polling"]).optional()),
  /** the bot's overall send rate (Telegram: about 30/s; paid broadcasts allow more) */
  TELEGRAM_RATE_PER_SECOND: num(z.number().positive().max(1_000_000), 30),

  WHATSAPP_ACCESS_TOKEN: optional,
  WHATSAPP_PHONE_NUMBER_ID: optional,
  WHATSAPP_APP_SECRET: optional,
  WHATSAPP_VERIFY_TOKEN: optional,
  WHATSAPP_API_BASE: url("https://graph.facebook.com"),
  /** template sent when the 24-hour window is closed; unset = hold for staff */
  WHATSAPP_TEMPLATE_NAME: optional,
  WHATSAPP_TEMPLATE_LANGUAGE: optional.transform((v) => v ?? "ru"),
  WHATSAPP_RATE_PER_SECOND: num(z.number().positive().max(1000), 20),

  VK_GROUP_TOKEN: optional,
  VK_GROUP_ID: num(z.number().int().positive(), 0).transform((v) => (v === 0 ? undefined : v)),
  VK_CALLBACK_SECRET: optional,
  VK_CONFIRMATION_CODE: optional,
  VK_API_BASE: url("https://api.vk.ru/method"),
});

export type Env = z.infer<typeof EnvSchema>;

export interface TelegramConfig {
  token: string;
  webhookSecret?: string;
  apiRoot: string;
  mode: "webhook" | "polling";
  /** overall sends per second; default 30 (Telegram's documented limit) */
  ratePerSecond?: number;
}
export interface WhatsAppConfig {
  accessToken: string;
  phoneNumberId: string;
  appSecret: string;
  verifyToken: string;
  apiBase: string;
  template?: { name: string; language: string };
  ratePerSecond: number;
}
export interface VkConfig {
  token: string;
  groupId: number;
  secret: string;
  confirmationCode: string;
  apiBase: string;
}

export interface Config {
  port: number;
  host: string;
  dataDir: string;
  redisUrl?: string;
  logLevel: string;
  flowsDir: string;
  staffApiToken?: string;
  publicUrl?: string;
  workerConcurrency: number;
  inboundLeaseMs: number;
  outboxLeaseMs: number;
  /** days a sent reply is kept (0: forever) */
  outboxRetentionDays: number;
  telegram?: TelegramConfig;
  whatsapp?: WhatsAppConfig;
  vk?: VkConfig;
  /** staff web pages */
  staff: { trustProxy: boolean; maxOpenChats: number; offerAfterMinutes: number };
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`configuration is not valid:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

/** A channel needs all of its variables or none of them. */
function channel<T>(
  env: Env,
  name: string,
  required: (keyof Env)[],
  build: () => T,
  problems: string[],
): T | undefined {
  const set = required.filter((k) => env[k] !== undefined);
  if (set.length === 0) return undefined;
  const missing = required.filter((k) => env[k] === undefined);
  if (missing.length > 0) {
    problems.push(`${name} is half configured: ${set.join(", ")} set but ${missing.join(", ")} missing`);
    return undefined;
  }
  return build();
}

export function loadConfig(source: NodeJS.ProcessEnv = process.env): Config {
  const parsed = EnvSchema.safeParse(source);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`));
  }
  const env = parsed.data;
  const problems: string[] = [];
  const telegram = channel(env, "Telegram", ["TELEGRAM_BOT_TOKEN"], () => {
    const mode = env.TELEGRAM_MODE ?? (env.TELEGRAM_WEBHOOK_SECRET ? "webhook" : "polling");
    if (mode === "webhook" && !env.TELEGRAM_WEBHOOK_SECRET) {
      problems.push("TELEGRAM_WEBHOOK_SECRET: required in webhook mode (or set TELEGRAM_MODE=polling)");
    }
    return {
      token: env.TELEGRAM_BOT_TOKEN!,
      webhookSecret: env.TELEGRAM_WEBHOOK_SECRET,
      apiRoot: env.TELEGRAM_API_ROOT,
      mode,
      ratePerSecond: env.TELEGRAM_RATE_PER_SECOND,
    } satisfies TelegramConfig;
  }, problems);
  const whatsapp = channel(
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
  );
  const vk = channel(
    env,
    "VK",
    ["VK_GROUP_TOKEN", "VK_GROUP_ID", "VK_CALLBACK_SECRET", "VK_CONFIRMATION_CODE"],
    () =>
      ({
        token: env.VK_GROUP_TOKEN!,
        groupId: env.VK_GROUP_ID!,
        secret: env.VK_CALLBACK_SECRET!,
        confirmationCode: env.VK_CONFIRMATION_CODE!,
        apiBase: env.VK_API_BASE,
      }) satisfies VkConfig,
    problems,
  );
  if (problems.length > 0) throw new ConfigError(problems);
  return {
    port: env.PORT,
    host: env.HOST,
    dataDir: env.DATA_DIR,
    redisUrl: env.REDIS_URL,
    logLevel: env.LOG_LEVEL,
    flowsDir: env.FLOWS_DIR,
    staffApiToken: env.STAFF_API_TOKEN,
    publicUrl: env.PUBLIC_URL,
    workerConcurrency: env.WORKER_CONCURRENCY,
    inboundLeaseMs: env.INBOUND_LEASE_MS,
    outboxLeaseMs: env.OUTBOX_LEASE_MS,
    outboxRetentionDays: env.OUTBOX_RETENTION_DAYS,
    telegram,
    whatsapp,
    vk,
    staff: {
      trustProxy: env.TRUST_PROXY === "1" || env.TRUST_PROXY === "true",
      maxOpenChats: env.STAFF_MAX_OPEN_CHATS,
      offerAfterMinutes: env.STAFF_OFFER_AFTER_MINUTES,
    },
  };
}
