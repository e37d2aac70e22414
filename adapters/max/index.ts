import type { Logger } from "pino";
import type { MaxConfig } from "./config.ts";
import { MAX_CAPABILITIES } from "../../src/model/channel.ts";
import type { OutboxItem } from "../../src/model/outbound.ts";
import type { AdapterContext, ChannelAdapter, RateLimit, SendResult } from "../../src/channel/port.ts";
import { maxApi } from "./client.ts";
import { describeError, toSendFailure } from "./errors.ts";
import { MaxPoller, type MarkerStore } from "./polling.ts";
import { RenderError, toMaxMessage, type ImagePayload } from "./render.ts";
import { createHash } from "node:crypto";
import { z } from "zod";
import { PhotoCache, type PhotoDeps } from "../../src/photos/cache.ts";
import { isPhotoFile } from "../../src/photos/files.ts";

const ImagePayloadSchema: z.ZodType<ImagePayload> = z.union([
  z.object({ token: z.string().min(1) }),
  z.object({ photos: z.record(z.string(), z.object({ token: z.string().min(1) })) }),
]);
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
  /** photo files of the catalogue: uploaded once (POST /uploads), then sent by token */
  photos?: PhotoDeps;
}

export interface MaxAdapter extends ChannelAdapter {
  /** the bot's public name, for max.ru/<name>?start=… deep links (GET /me once, retried after a failure) */
  getUsername(): Promise<string | undefined>;
}

export function createMaxAdapter(config: MaxConfig, opts: MaxAdapterOptions = {}): MaxAdapter {
  const api = maxApi(config.token, config.apiBase, opts.timeoutMs ?? 15_000);
  let poller: MaxPoller | undefined;
  // upload tokens belong to the bot: keyed by a digest of its token (never the token itself)
  const photos = opts.photos ? new PhotoCache(opts.photos, "max", createHash("sha256").update(config.token).digest("hex").slice(0, 16)) : undefined;
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
      const post = async (image?: ImagePayload): Promise<SendResult> => {
        try {
          const body = toMaxMessage(item.part, image);
          const chatId = toChatId(item.chatId);
          const sent = await api.sendMessageToChat(chatId, body.text, body.attachments ? { attachments: body.attachments } : {});
          return { ok: true, platformMessageIds: [sent.body.mid] };
        } catch (err) {
          return { ok: false, error: toSendFailure(err) };
        }
      };
      const ref = item.part.photoUrl;
      if (!isPhotoFile(ref)) return post();
      if (!photos) return { ok: false, error: { kind: "permanent", message: `${ref} is a file and no photo store is set` } };
      return photos.send(ref, {
        withId: (id) => {
          const image = ImagePayloadSchema.safeParse(safeJson(id));
          return image.success ? post(image.data) : Promise.resolve({ ok: false, error: { kind: "permanent", message: "max: a cached image payload that is not one" } });
        },
        async withFile(file) {
          let image: ImagePayload;
          try {
            // POST /uploads?type=image answers the upload url; the file goes there as multipart `data`
            const uploaded = await api.uploadImage({ source: file.bytes });
            image = ImagePayloadSchema.parse(uploaded.payload);
          } catch (err) {
            const e = toSendFailure(err);
            return { result: { ok: false, error: e.kind === "rate_limited" ? e : { kind: "permanent", message: `image upload: ${e.message}` } } };
          }
          return { result: await post(image), id: JSON.stringify(image) };
        },
      });
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

function safeJson(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return undefined;
  }
}

/** MAX chat ids are 64-bit integers; dialogs' are negative. Anything else is not ours to send to. */
function toChatId(chatId: string): number {
  const n = Number(chatId);
  if (!/^-?\d{1,19}$/.test(chatId) || !Number.isSafeInteger(n)) throw new RenderError(`"${chatId}" is not a MAX chat id`);
  return n;
}
