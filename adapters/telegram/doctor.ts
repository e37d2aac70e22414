import { Api, GrammyError, HttpError } from "grammy";
import type { ChatMember, UserFromGetMe } from "grammy/types";
import type { DoctorCheck } from "../../src/cli/doctor-check.ts";
import type { TelegramConfig } from "./config.ts";
import { TELEGRAM_WEBHOOK_PATH } from "./webhook.ts";

/**
 * `frontdesk doctor` for Telegram, asked of the Bot API itself: the token (getMe),
 * the webhook Telegram has on record (getWebhookInfo: URL, updates waiting, its last
 * delivery error) and, with a staff group, the bot's rights there (getChatMember).
 */
export interface TelegramDoctorConfig {
  telegram?: TelegramConfig;
  publicUrl?: string;
  /** TELEGRAM_STAFF_CHAT_ID: the staff group (forum) the bot mirrors chats into */
  telegramStaffChatId?: string;
  /** the wall clock (tests) */
  now?: () => number;
}

/** a delivery error older than this is history, not a problem now */
const RECENT_ERROR_MS = 60 * 60 * 1000;

export async function doctorChecks(config: TelegramDoctorConfig): Promise<DoctorCheck[]> {
  const tg = config.telegram;
  if (!tg) return [];
  const now = config.now ?? Date.now;
  const api = new Api(tg.token, { apiRoot: tg.apiRoot, timeoutSeconds: 10 });
  const out: DoctorCheck[] = [];

  let me: UserFromGetMe;
  try {
    me = await api.getMe();
    out.push({ name: "Telegram: bot token", ok: true, detail: `accepted: @${me.username} (${me.first_name}, id ${me.id})` });
  } catch (err) {
    out.push({
      name: "Telegram: bot token",
      ok: false,
      detail: `Telegram answered: ${platformText(err)}`,
      fix: isAuth(err)
        ? "copy the token again from @BotFather (/mybots → your bot → API Token) into TELEGRAM_BOT_TOKEN in .env"
        : `check that this machine reaches ${tg.apiRoot} (proxy, firewall, DNS)`,
    });
    return out; // nothing else can be asked with a token Telegram refuses
  }

  out.push(await webhookCheck(api, tg, config.publicUrl, now));
  if (config.telegramStaffChatId) out.push(...(await staffGroupChecks(api, config.telegramStaffChatId, me)));
  return out;
}

async function webhookCheck(api: Api, tg: TelegramConfig, publicUrl: string | undefined, now: () => number): Promise<DoctorCheck> {
  const name = "Telegram: webhook";
  let info;
  try {
    info = await api.getWebhookInfo();
  } catch (err) {
    return { name, ok: false, detail: `getWebhookInfo failed: ${platformText(err)}`, fix: "run npx frontdesk doctor again; if it persists, check the network to Telegram" };
  }
  const pending = `${info.pending_update_count} update${info.pending_update_count === 1 ? "" : "s"} waiting`;
  const expected = publicUrl && /^https:\/\//.test(publicUrl) ? `${publicUrl.replace(/\/+$/, "")}${TELEGRAM_WEBHOOK_PATH}` : undefined;
  const setCommand = `npx frontdesk telegram set-webhook --url ${expected ? publicUrl!.replace(/\/+$/, "") : "https://<your host>"}`;
  if (tg.mode === "polling") {
    return info.url
      ? { name, ok: false, detail: `TELEGRAM_MODE=polling but a webhook is set (${info.url}): Telegram refuses getUpdates while it is`, fix: `remove TELEGRAM_MODE=polling from .env to use the webhook, or delete it: curl -s "${tg.apiRoot}/bot<token>/deleteWebhook"` }
      : { name, ok: true, detail: `long polling (no webhook set), ${pending}` };
  }
  if (!info.url) {
    return { name, ok: false, detail: `no webhook registered: Telegram does not deliver messages (${pending})`, fix: setCommand };
  }
  if (expected && info.url !== expected) {
    return { name, ok: false, detail: `registered at ${info.url}, but PUBLIC_URL says ${expected}`, fix: setCommand };
  }
  const errorAt = info.last_error_date ? info.last_error_date * 1000 : undefined;
  if (errorAt !== undefined && now() - errorAt < RECENT_ERROR_MS) {
    return {
      name,
      ok: false,
      detail: `${info.url}: Telegram's last delivery failed ${ago(now() - errorAt)} ago: "${info.last_error_message ?? "unknown error"}" (${pending})`,
      fix: "make sure the service runs and the URL answers over HTTPS with a valid certificate (curl -I the URL); then npx frontdesk doctor again",
    };
  }
  return { name, ok: true, detail: `${info.url}, ${pending}${errorAt ? `; last error ${ago(now() - errorAt)} ago: "${info.last_error_message}"` : ", no delivery errors"}` };
}

async function staffGroupChecks(api: Api, chatId: string, me: UserFromGetMe): Promise<DoctorCheck[]> {
  const name = "Telegram: staff group";
  const fixRights = "in the group: Manage group → Administrators → add the bot, with «Manage topics» on";
  let member: ChatMember;
  try {
    const chat = await api.getChat(chatId);
    if (chat.type !== "supergroup" || !("is_forum" in chat) || !chat.is_forum) {
      return [{ name, ok: false, detail: `${chatId} is not a group with topics`, fix: "in the group's settings turn on Topics (Telegram makes it a supergroup), then check TELEGRAM_STAFF_CHAT_ID" }];
    }
    member = await api.getChatMember(chatId, me.id);
  } catch (err) {
    return [{ name, ok: false, detail: `Telegram answered for ${chatId}: ${platformText(err)}`, fix: `add @${me.username} to the staff group and check TELEGRAM_STAFF_CHAT_ID (the group's id, like -1001234567890)` }];
  }
  if (member.status === "creator") return [{ name, ok: true, detail: `${chatId}: the bot owns the group` }];
  if (member.status !== "administrator") return [{ name, ok: false, detail: `${chatId}: the bot is a ${member.status}, not an administrator`, fix: fixRights }];
  if (!member.can_manage_topics) return [{ name, ok: false, detail: `${chatId}: the bot is an administrator without «Manage topics»`, fix: fixRights }];
  return [{ name, ok: true, detail: `${chatId}: administrator, may manage topics` }];
}

/** the Bot API's own description ("Unauthorized", "Bad Request: chat not found"), never the token-bearing URL */
function platformText(err: unknown): string {
  if (err instanceof GrammyError) return `${err.error_code} ${err.description}`;
  if (err instanceof HttpError) return `no answer (${String((err.error as Error)?.message ?? err.message).replace(/\/bot[^/\s]+\//g, "/bot<token>/")})`;
  return err instanceof Error ? err.message.replace(/\/bot[^/\s]+\//g, "/bot<token>/") : String(err);
}

function isAuth(err: unknown): boolean {
  return err instanceof GrammyError && (err.error_code === 401 || err.error_code === 404);
}

function ago(ms: number): string {
  const m = Math.round(ms / 60_000);
  return m < 1 ? "less than a minute" : m < 60 ? `${m} min` : `${Math.round(m / 60)} h`;
}
