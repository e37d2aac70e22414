import { z } from "zod";
import { MaxEnv, maxConfig, type MaxConfig } from "../adapters/max/config.ts";
import { TelegramEnv, telegramConfig, type TelegramConfig } from "../adapters/telegram/config.ts";
import { VkEnv, vkConfig, type VkConfig } from "../adapters/vk/config.ts";
import { WhatsAppEnv, whatsAppConfig, type WhatsAppConfig } from "../adapters/whatsapp/config.ts";
import { num, optional } from "./config-fields.ts";
import { staffTokenProblem } from "./http/staff-token.ts";
import { formatZodIssues } from "./http/zod-error.ts";

/**
 * Configuration from the environment (names from BRIEF.md's interface contract): the
 * service's own variables here, each platform's in adapters/<channel>/config.ts,
 * merged into one schema so `loadConfig` stays the single entry.
 * A channel is on when its required variables are all set; setting only some of
 * them is an error that names what is missing, so a typo is not silently "off".
 */
const EnvSchema = z.object({
  PORT: num(z.number().int().min(0).max(65535), 3000),
  HOST: optional.transform((v) => v ?? "0.0.0.0"),
  DATA_DIR: optional.transform((v) => v ?? "./data"),
  REDIS_URL: optional.pipe(z.string().regex(/^rediss?:\/\//, "must start with redis:// or rediss://").optional()),
  LOG_LEVEL: optional.pipe(
    z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).optional().transform((v) => v ?? "info"),
  ),
  FLOWS_DIR: optional.transform((v) => v ?? "./flows"),
  /** bearer token for the staff and owner HTTP API; without it the API answers 503 (rules: src/http/staff-token.ts) */
  STAFF_API_TOKEN: optional.superRefine((v, ctx) => {
    const problem = v === undefined ? undefined : staffTokenProblem(v);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  }),
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

  ...TelegramEnv.shape,
  ...WhatsAppEnv.shape,
  ...VkEnv.shape,
  ...MaxEnv.shape,
});

export type Env = z.infer<typeof EnvSchema>;

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

  max?: MaxConfig;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`configuration is not valid:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

export function loadConfig(source: NodeJS.ProcessEnv = process.env): Config {
  const parsed = EnvSchema.safeParse(source);
  if (!parsed.success) {
    throw new ConfigError(formatZodIssues(parsed.error, "env"));
  }
  const env = parsed.data;
  const problems: string[] = [];
  const telegram = telegramConfig(env, problems);
  const whatsapp = whatsAppConfig(env, problems);
  const vk = vkConfig(env, problems);
  const max = maxConfig(env, problems);
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

    max,
  };
}
