import { Bot } from "grammy";
import type { UserFromGetMe } from "grammy/types";
import type { Logger } from "pino";
import type { TelegramConfig } from "./config.ts";
import { TELEGRAM_CAPABILITIES } from "../../src/model/channel.ts";
import type { OutboxItem } from "../../src/model/outbound.ts";
import type { AdapterContext, ChannelAdapter, RateLimit, SendResult } from "../../src/channel/port.ts";
import { describeError, toSendFailure } from "./errors.ts";
import { undiciFetch } from "./http.ts";
import { Poller } from "./polling.ts";
import { invoiceParams } from "./payments.ts";
import { toTelegramRequest } from "./render.ts";
import { registerTelegramWebhook } from "./webhook.ts";
import { createStaffGroupApi, type StaffGroupRoute } from "./staff-group.ts";
import type { StaffGroupApi, StaffGroupHandler } from "../../src/staff/telegram-group/port.ts";

export { parseTelegramUpdate, TelegramUpdateError } from "./parse.ts";
export { setTelegramWebhook, ALLOWED_UPDATES } from "./setup.ts";
export { TELEGRAM_WEBHOOK_PATH } from "./webhook.ts";

/** T14/T15: ~30 messages/s overall, 1/s per chat with short bursts. */
export const TELEGRAM_RATE: RateLimit = { perSecond: 30, perChatPerSecond: 1, perChatBurst: 5 };

export interface TelegramAdapterOptions {
  /** skips getMe (tests, or a cached value) */
  botInfo?: UserFromGetMe;
  /** per Bot API request; grammY's default of 500 s would stall the sender */
  timeoutSeconds?: number;
  /** getUpdates long-poll wait in polling mode; below timeoutSeconds */
  pollTimeoutSeconds?: number;
}

export interface TelegramAdapter extends ChannelAdapter {
  /** the bot's own account (getMe once, retried on the next call after a failure) */
  getBotInfo(): Promise<UserFromGetMe>;
  /** TELEGRAM_STAFF_CHAT_ID: its updates go to `handler` (the staff desk), never to ingest; answers the group's API */
  staffGroup(handler: StaffGroupHandler): StaffGroupApi | undefined;
}

export function createTelegramAdapter(config: TelegramConfig, opts: TelegramAdapterOptions = {}): TelegramAdapter {
  const timeoutSeconds = opts.timeoutSeconds ?? 15;
  const pollTimeoutSeconds = opts.pollTimeoutSeconds ?? Math.max(1, Math.min(25, timeoutSeconds - 5));
  const bot = new Bot(config.token, {
    ...(opts.botInfo ? { botInfo: opts.botInfo } : {}),
    client: { apiRoot: config.apiRoot.replace(/\/+$/, ""), timeoutSeconds, fetch: undiciFetch() },
  });

  let me: Promise<UserFromGetMe> | undefined;
  const getBotInfo = (): Promise<UserFromGetMe> => {
    if (bot.isInited()) return Promise.resolve(bot.botInfo);
    // our own memo instead of bot.init(): that one retries network errors forever
    me ??= bot.api.getMe().then(
      (info) => {
        bot.botInfo = info;
        return info;
      },
      (err: unknown) => {
        me = undefined;
        throw err;
      },
    );
    return me;
  };

  const answerCallback = (id: string) => bot.api.answerCallbackQuery(id);
  let poller: Poller | undefined;
  const staff: StaffGroupRoute | undefined = config.staffChatId ? { chatId: Number(config.staffChatId) } : undefined;

  return {
    channel: "telegram",
    capabilities: TELEGRAM_CAPABILITIES,
    rate: { ...TELEGRAM_RATE, perSecond: config.ratePerSecond ?? TELEGRAM_RATE.perSecond },
    getBotInfo,

    staffGroup(handler) {
      if (!staff || !config.staffChatId) return undefined;
      staff.handler = handler;
      return createStaffGroupApi(config, config.staffChatId, { timeoutSeconds });
    },

    async register(app, ctx) {
      await registerTelegramWebhook(app, {
        secret: config.webhookSecret,
        ingest: ctx.ingest,
        ...(staff ? { staff } : {}),
        log: childLog(ctx.log),
        ...(ctx.findOrder ? { findOrder: ctx.findOrder } : {}),
      });
    },

    async send(item: OutboxItem): Promise<SendResult> {
      try {
        const chatId = toChatId(item.chatId);
        if (item.part.invoice) {
          const p = invoiceParams(item.part.invoice, config.paymentProviderToken ?? "");
          const sent = await bot.api.sendInvoice(chatId, p.title, p.description, p.payload, p.currency, p.prices, { provider_token: p.provider_token });
          return { ok: true, platformMessageIds: [String(sent.message_id)] };
        }
        const req = toTelegramRequest(item.part);
        const sent =
          req.method === "sendPhoto"
            ? await bot.api.sendPhoto(chatId, req.photo, {
                ...(req.caption !== undefined ? { caption: req.caption } : {}),
                ...(req.reply_markup ? { reply_markup: req.reply_markup } : {}),
              })
            : await bot.api.sendMessage(chatId, req.text, req.reply_markup ? { reply_markup: req.reply_markup } : {});
        return { ok: true, platformMessageIds: [String(sent.message_id)] };
      } catch (err) {
        return { ok: false, error: toSendFailure(err) };
      }
    },

    async start(ctx: AdapterContext) {
      if (config.mode !== "polling" || poller) return;
      const log = childLog(ctx.log);
      getBotInfo().then(
        (info) => log.info({ username: info.username }, "telegram: bot identified"),
        (err: unknown) => log.warn({ err: describeError(err) }, "telegram: getMe failed (token wrong or API unreachable?)"),
      );
      poller = new Poller({ api: bot.api, ingest: ctx.ingest, ...(staff ? { staff } : {}), answerCallback, log, timeoutSeconds: pollTimeoutSeconds });
      poller.start();
    },

    async stop() {
      const p = poller;
      poller = undefined;
      await p?.stop();
    },
  };
}

function childLog(log: Logger): Logger {
  return log.child({ channel: "telegram" });
}

/** Bot API takes integer chat ids; keep @usernames as strings. */
function toChatId(chatId: string): number | string {
  return /^-?\d{1,16}$/.test(chatId) && Number.isSafeInteger(Number(chatId)) ? Number(chatId) : chatId;
}
