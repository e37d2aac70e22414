import type { Logger } from "pino";
import type { MaxConfig } from "./config.ts";
import { MAX_CAPABILITIES } from "../../src/model/channel.ts";
import type { OutboxItem } from "../../src/model/outbound.ts";
import type { AdapterContext, ChannelAdapter, RateLimit, SendResult } from "../../src/channel/port.ts";
import { maxApi } from "./client.ts";
import { describeError, toSendFailure } from "./errors.ts";
import { MaxPoller, type MarkerStore } from "./polling.ts";
import { RenderError, toMaxMessage } from "./render.ts";
import { registerMaxWebhook } from "./webhook.ts";

export { parseMaxUpdate, MaxUpdateError, UPDATE_TYPES } from "./parse.ts";
export { setMaxWebhook } from "./setup.ts";
export { MAX_WEBHOOK_PATH } from "./webhook.ts";
export type { MarkerStore } from "./polling.ts";

/** M17: 30 requests a second per bot; per chat, the pace Telegram asks for (not documented for MAX). */
export const MAX_RATE: RateLimit = { perSecond: 30, perChatPerSecond: 1, perChatBurst: 5 };

/** M6: the toast a pressed button shows; language-neutral, since the reply follows in the chat */
export const CALLBACK_NOTIFICATION = "✓";

export interface MaxAdapterOptions {
  /** where polling keeps its marker (the key-value store); required for MAX_MODE=polling */
  marker?: MarkerStore;
  /** per API request */
  timeoutMs?: number;
  /** GET /updates wait in polling mode */
  pollTimeoutSeconds?: number;
}

export interface MaxAdapter extends ChannelAdapter {
  /** the bot's public name, for max.ru/<name>?start=… deep links (GET /me once, retried after a failure) */
  getUsername(): Promise<string | undefined>;
}

export function createMaxAdapter(config: MaxConfig, opts: MaxAdapterOptions = {}): MaxAdapter {
  const api = maxApi(config.token, config.apiBase, opts.timeoutMs ?? 15_000);
  let poller: MaxPoller | undefined;
  let log: Logger | undefined;

  let me: Promise<string | undefined> | undefined;
  const getUsername = () =>
    (me ??= api.getMyInfo().then(
      (info) => info.username ?? undefined,
      (err: unknown) => {
        me = undefined;
        throw err;
      },
    ));

  // not awaited by intake: a slow answer must not hold the webhook or the poll loop
  const answerCallback = (callbackId: string) => {
    api.raw
      .post("answers", { query: { callback_id: callbackId }, body: { notification: CALLBACK_NOTIFICATION } as { message?: null } })
      .catch((err: unknown) => log?.warn({ err: describeError(err) }, "max: POST /answers failed"));
  };

  return {
    channel: "max",
    capabilities: MAX_CAPABILITIES,
    rate: MAX_RATE,
    getUsername,

    async register(app, ctx) {
      log = ctx.log.child({ channel: "max" });
      await registerMaxWebhook(app, { secret: config.webhookSecret, ingest: ctx.ingest, answerCallback, log });
    },

    async send(item: OutboxItem): Promise<SendResult> {
      try {
        const body = toMaxMessage(item.part);
        const chatId = toChatId(item.chatId);
        const sent = await api.sendMessageToChat(chatId, body.text, body.attachments ? { attachments: body.attachments } : {});
        return { ok: true, platformMessageIds: [sent.body.mid] };
      } catch (err) {
        return { ok: false, error: toSendFailure(err) };
      }
    },

    async start(ctx: AdapterContext) {
      if (config.mode !== "polling" || poller) return;
      log = ctx.log.child({ channel: "max" });
      if (!opts.marker) throw new Error("max: polling needs a marker store");
      poller = new MaxPoller({ api, ingest: ctx.ingest, answerCallback, marker: opts.marker, log, timeoutSeconds: opts.pollTimeoutSeconds ?? 25 });
      poller.start();
    },

    async stop() {
      const p = poller;
      poller = undefined;
      await p?.stop();
    },
  };
}

/** MAX chat ids are 64-bit integers; dialogs' are negative. Anything else is not ours to send to. */
function toChatId(chatId: string): number {
  const n = Number(chatId);
  if (!/^-?\d{1,19}$/.test(chatId) || !Number.isSafeInteger(n)) throw new RenderError(`"${chatId}" is not a MAX chat id`);
  return n;
}
