import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline/promises";
import type { Command } from "commander";
import { EnvExistsError, readExample, renderEnv, writeEnvFile, type EnvValues } from "../setup/env-writer.ts";
import { nextSteps, type Lang, type SetupChannel } from "../setup/next-steps.ts";
import { newPassword, newShopSecrets } from "../setup/secrets.ts";
import { readShopName, writeShopName } from "../setup/shop-name.ts";
import { createFirstOwner, ownerProblem } from "../setup/first-owner.ts";
import { fail } from "./common.ts";

/**
 * `frontdesk init`: a new shop's `.env` with fresh secrets (mode 0600), the shop's
 * name in flows/shop.yaml, the first owner account, and what is left to do per
 * channel. Asks on a terminal; every answer is also a flag, so it scripts with no
 * standard input at all. Never replaces an existing `.env` without --force.
 */
const CHANNELS: SetupChannel[] = ["telegram", "whatsapp", "vk"];

interface InitOptions {
  name?: string;
  nameEn?: string;
  channels?: string;
  url?: string;
  tz?: string;
  telegramToken?: string;
  whatsappToken?: string;
  whatsappPhoneId?: string;
  whatsappAppSecret?: string;
  vkToken?: string;
  vkGroupId?: string;
  vkConfirmation?: string;
  ownerLogin: string;
  ownerPassword?: string;
  dataDir: string;
  redisUrl?: string;
  flowsDir: string;
  env: string;
  force?: boolean;
  input: boolean;
  lang: Lang;
}

export function registerInitCommand(program: Command): void {
  program
    .command("init")
    .description("set up a new shop: .env with fresh secrets, the shop's name, the first owner, next steps per channel")
    .option("--name <name>", "the shop's name (Russian; shown to customers)")
    .option("--name-en <name>", "the shop's name in English (default: --name)")
    .option("--channels <list>", `messengers to turn on, comma-separated: ${CHANNELS.join(",")} or none (the web chat is always on)`)
    .option("--url <url>", "the public HTTPS address of the service, e.g. https://shop.example.com")
    .option("--tz <zone>", "the shop's time zone (reports' days, working hours), e.g. Europe/Moscow")
    .option("--telegram-token <token>", "bot token from @BotFather")
    .option("--whatsapp-token <token>", "WhatsApp Cloud API access token (system user)")
    .option("--whatsapp-phone-id <id>", "WhatsApp phone number ID")
    .option("--whatsapp-app-secret <secret>", "Meta app secret (App settings → Basic)")
    .option("--vk-token <token>", "VK community token with messages access")
    .option("--vk-group-id <id>", "VK community id (digits)")
    .option("--vk-confirmation <code>", "VK Callback API confirmation string")
    .option("--owner-login <login>", "login of the first owner account", "owner")
    .option("--owner-password <password>", "their password (default: a generated one, printed once)")
    .option("--data-dir <dir>", "where the embedded store keeps its data (DATA_DIR)", "./data")
    .option("--redis-url <url>", "keep the shop in Redis instead (REDIS_URL; default: the environment's)")
    .option("--flows-dir <dir>", "the shop's flows (FLOWS_DIR)", "./flows")
    .option("--env <file>", "the file to write", ".env")
    .option("--force", "replace an existing .env (its secrets change: webhooks must be registered again)")
    .option("--no-input", "never ask; take flags and defaults only")
    .option("--lang <lang>", "language of the instructions: ru or en", (v: string) => {
      if (v !== "ru" && v !== "en") throw new Error("ru or en");
      return v as Lang;
    }, "ru")
    .action(async (opts: InitOptions) => {
      await runInit(opts);
    });
}

async function runInit(opts: InitOptions): Promise<void> {
  const envPath = resolve(opts.env);
  if (existsSync(envPath) && !opts.force) fail(new EnvExistsError(opts.env).message, 73);
  const ask = opts.input && process.stdin.isTTY ? prompter() : undefined;
  try {
    const current = readShopName(opts.flowsDir);
    const name = (opts.name ?? (await ask?.(`Название магазина (shop name)`, current?.ru)) ?? current?.ru ?? "").trim();
    if (!name) fail("the shop needs a name: --name \"…\"", 2);
    const nameEn = (opts.nameEn ?? (opts.name ? opts.name : current?.ru === name ? current.en : name)).trim();

    const channels = parseChannels(opts.channels ?? (await ask?.("Мессенджеры (channels): telegram, whatsapp, vk или none", "none")) ?? "none");
    const tz = (opts.tz ?? (await ask?.("Часовой пояс (time zone)", defaultZone())) ?? defaultZone()).trim();
    if (!validZone(tz)) fail(`not a time zone: ${tz} (for example Europe/Moscow, Asia/Yekaterinburg)`, 2);
    const url = (opts.url ?? (await ask?.("Публичный HTTPS-адрес (public URL), Enter — позже", "")) ?? "").trim().replace(/\/+$/, "");
    if (url && !/^https?:\/\/[^\s/]+/.test(url)) fail(`not a URL: ${url} (for example https://shop.example.com)`, 2);

    const given: EnvValues = {};
    const put = (k: string, v: string | undefined) => {
      if (v !== undefined && v.trim() !== "") given[k] = v.trim();
    };
    if (channels.includes("telegram")) put("TELEGRAM_BOT_TOKEN", opts.telegramToken ?? (await ask?.("Токен Telegram-бота из @BotFather, Enter — позже", "")));
    if (channels.includes("whatsapp")) {
      put("WHATSAPP_ACCESS_TOKEN", opts.whatsappToken ?? (await ask?.("WhatsApp access token, Enter — позже", "")));
      put("WHATSAPP_PHONE_NUMBER_ID", opts.whatsappPhoneId ?? (await ask?.("WhatsApp phone number ID, Enter — позже", "")));
      put("WHATSAPP_APP_SECRET", opts.whatsappAppSecret ?? (await ask?.("Meta app secret, Enter — позже", "")));
    }
    if (channels.includes("vk")) {
      put("VK_GROUP_TOKEN", opts.vkToken ?? (await ask?.("Ключ доступа сообщества VK, Enter — позже", "")));
      put("VK_GROUP_ID", opts.vkGroupId ?? (await ask?.("Номер сообщества VK (цифры), Enter — позже", "")));
      put("VK_CONFIRMATION_CODE", opts.vkConfirmation ?? (await ask?.("Строка подтверждения Callback API, Enter — позже", "")));
    }
    if (given.VK_GROUP_ID && !/^\d+$/.test(given.VK_GROUP_ID)) fail(`--vk-group-id must be digits, got ${given.VK_GROUP_ID}`, 2);

    const redisUrl = opts.redisUrl ?? process.env.REDIS_URL;
    if (redisUrl && !/^rediss?:\/\//.test(redisUrl)) fail(`--redis-url must start with redis:// or rediss://, got ${redisUrl}`, 2);
    const secrets = newShopSecrets();
    const values: EnvValues = {
      PUBLIC_URL: url || "http://localhost:3000",
      DATA_DIR: opts.dataDir,
      FLOWS_DIR: opts.flowsDir,
      TZ: tz,
      STAFF_API_TOKEN: secrets.STAFF_API_TOKEN,
      ...(redisUrl ? { REDIS_URL: redisUrl } : {}),
      ...given,
    };
    const required: Record<SetupChannel, string[]> = {
      telegram: ["TELEGRAM_BOT_TOKEN"],
      whatsapp: ["WHATSAPP_ACCESS_TOKEN", "WHATSAPP_PHONE_NUMBER_ID", "WHATSAPP_APP_SECRET"],
      vk: ["VK_GROUP_TOKEN", "VK_GROUP_ID", "VK_CONFIRMATION_CODE"],
    };
    if (channels.includes("telegram")) values.TELEGRAM_WEBHOOK_SECRET = secrets.TELEGRAM_WEBHOOK_SECRET;
    if (channels.includes("whatsapp")) values.WHATSAPP_VERIFY_TOKEN = secrets.WHATSAPP_VERIFY_TOKEN;
    if (channels.includes("vk")) values.VK_CALLBACK_SECRET = secrets.VK_CALLBACK_SECRET;
    const missing = channels.flatMap((c) => required[c].filter((k) => values[k] === undefined));
    // a channel turned on without its token yet: its line is written empty, so the
    // service names exactly what is missing until it is pasted in
    for (const k of missing) values[k] = "";

    const password = opts.ownerPassword ?? newPassword();
    const bad = ownerProblem(opts.ownerLogin, password);
    if (bad) fail(bad, 2);
    const example = readExample(join(process.cwd(), ".env.example"));
    const header = `written by npx frontdesk init on ${new Date().toISOString()} for «${name}». Keep it private (mode 0600, never commit it).\nEvery variable is documented in .env.example; the environment overrides this file.`;
    try {
      writeEnvFile(envPath, renderEnv(example, values, header), Boolean(opts.force));
    } catch (err) {
      if (err instanceof EnvExistsError) fail(err.message, 73);
      throw err;
    }
    const renamed = existsSync(join(opts.flowsDir, "shop.yaml")) && writeShopName(opts.flowsDir, { ru: name, en: nameEn || name });

    const owner = await createFirstOwner({ dataDir: opts.dataDir, redisUrl }, { login: opts.ownerLogin, password });

    const lang = opts.lang;
    const lines = [
      lang === "ru" ? `Готово: ${opts.env} записан (права 0600), секреты новые.` : `Done: ${opts.env} written (mode 0600) with fresh secrets.`,
      renamed ? (lang === "ru" ? `Название «${name}» записано в ${join(opts.flowsDir, "shop.yaml")}.` : `The name «${name}» is in ${join(opts.flowsDir, "shop.yaml")}.`) : "",
      owner.created
        ? lang === "ru"
          ? `Владелец: логин ${opts.ownerLogin}${opts.ownerPassword ? "" : `, пароль ${password} (показан один раз; сменить: npx frontdesk staff passwd ${opts.ownerLogin})`}`
          : `Owner: login ${opts.ownerLogin}${opts.ownerPassword ? "" : `, password ${password} (shown once; change it: npx frontdesk staff passwd ${opts.ownerLogin})`}`
        : owner.message,
      lang === "ru" ? `API для сотрудников: Authorization: Bearer <STAFF_API_TOKEN из ${opts.env}>` : `Staff API: Authorization: Bearer <STAFF_API_TOKEN from ${opts.env}>`,
      nextSteps({ channels, publicUrl: url, secrets, missing, envPath: opts.env }, lang),
    ];
    process.stdout.write(`${lines.filter(Boolean).join("\n")}\n`);
  } finally {
    ask?.close();
  }
}

type Ask = ((question: string, fallback?: string) => Promise<string>) & { close(): void };

/** one readline for all questions; Enter takes the value in brackets */
function prompter(): Ask {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  const ask = (async (question: string, fallback?: string) => {
    const answer = (await rl.question(`${question}${fallback ? ` [${fallback}]` : ""}: `)).trim();
    return answer || fallback || "";
  }) as Ask;
  ask.close = () => rl.close();
  return ask;
}

export function parseChannels(list: string): SetupChannel[] {
  const words = list.toLowerCase().split(/[\s,]+/).filter((w) => w && w !== "none" && w !== "web");
  const bad = words.filter((w) => !(CHANNELS as string[]).includes(w));
  if (bad.length > 0) fail(`unknown channel: ${bad.join(", ")} (use ${CHANNELS.join(", ")} or none)`, 2);
  return CHANNELS.filter((c) => words.includes(c));
}

function defaultZone(): string {
  const z = Intl.DateTimeFormat().resolvedOptions().timeZone;
  // a server on UTC is usually not where the shop is; Moscow is the common case
  return !z || z === "UTC" || z === "Etc/UTC" ? "Europe/Moscow" : z;
}

function validZone(z: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: z });
    return true;
  } catch {
    return false;
  }
}
