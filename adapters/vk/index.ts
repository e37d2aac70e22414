import { createHash } from "node:crypto";
import type { FastifyInstance } from "fastify";
import { VK_CAPABILITIES } from "../../src/model/channel.ts";
import type { OutboxItem } from "../../src/model/outbound.ts";
import type { VkConfig } from "./config.ts";
import type { AdapterContext, ChannelAdapter, RateLimit, SendResult } from "../../src/channel/port.ts";
import { VkApi } from "./api.ts";
import { toSendFailure } from "./errors.ts";
import { renderVkMessage } from "./keyboard.ts";
import { registerVkWebhook } from "./webhook.ts";

export { parseVkCallback, parseVkUpdate, VkParseError } from "./parse.ts";
export { renderVkMessage } from "./keyboard.ts";
export { toSendFailure } from "./errors.ts";
export { VK_WEBHOOK_PATH } from "./webhook.ts";

/** V16: 20 calls/s for a community token; ~1/s per dialog with short bursts. */
export const VK_RATE: RateLimit = { perSecond: 20, perChatPerSecond: 1, perChatBurst: 5 };

export interface VkAdapterOptions {
  /** per-request timeout (vk-io apiTimeout), default 10 s */
  timeoutMs?: number;
  /** requests per second this process makes, default VK_RATE.perSecond */
  apiLimit?: number;
}

/**
 * random_id for messages.send (V9): VK refuses to deliver a second message with the
 * same random_id from the same sender, so deriving it from the outbox item id makes
 * every retry of one item safe. 31 bits, positive, never 0 (0 disables the check).
 */
export function vkRandomId(itemId: string): number {
  const n = createHash("sha256").update(itemId).digest().readUInt32BE(0) & 0x7fffffff;
  return n === 0 ? 1 : n;
}

export function createVkAdapter(config: VkConfig, options: VkAdapterOptions = {}): ChannelAdapter {
  const api = new VkApi({
    token: config.token,
    apiBase: config.apiBase,
    apiLimit: options.apiLimit ?? VK_RATE.perSecond,
    timeoutMs: options.timeoutMs,
  });

  async function send(item: OutboxItem): Promise<SendResult> {
    if (!/^-?\d{1,15}$/.test(item.chatId)) {
      return { ok: false, error: { kind: "permanent", message: `vk: chat id ${JSON.stringify(item.chatId)} is not a peer_id` } };
    }
    try {
      const out = renderVkMessage(item.part, item.hints);
      const response = await api.call("messages.send", {
        peer_id: item.chatId,
        random_id: vkRandomId(item.id),
        message: out.message,
        keyboard: out.keyboard ? JSON.stringify(out.keyboard) : undefined,
        // link snippets clutter shop replies; a photo link is the one we want previewed
        dont_parse_links: item.part.photoUrl ? 0 : 1,
      });
      const id = messageId(response);
      if (id === undefined) {
        // VK may have delivered; a retry with the same random_id cannot duplicate it
        return { ok: false, error: { kind: "transient", message: "vk: messages.send answered without a message id" } };
      }
      return { ok: true, platformMessageIds: [id] };
    } catch (err) {
      return { ok: false, error: toSendFailure(err) };
    }
  }

  return {
    channel: "vk",
    capabilities: VK_CAPABILITIES,
    rate: VK_RATE,
    async register(app: FastifyInstance, ctx: AdapterContext) {
      const log = ctx.log.child({ channel: "vk" });
      await registerVkWebhook(app, {
        groupId: config.groupId,
        secret: config.secret,
        confirmationCode: config.confirmationCode,
        ingest: ctx.ingest,
        log,
        answerEvent: async (a) => {
          await api.call("messages.sendMessageEventAnswer", { event_id: a.event_id, user_id: a.user_id, peer_id: a.peer_id });
        },
      });
    },
    send,
    async stop() {
      api.close();
    },
  };
}

/** peer_id gives a number; peer_ids (not used here) gives [{message_id, …}]. */
function messageId(response: unknown): string | undefined {
  if (typeof response === "number" && Number.isFinite(response)) return String(response);
  if (Array.isArray(response)) {
    const first: unknown = response[0];
    if (typeof first === "object" && first !== null && "message_id" in first && typeof first.message_id === "number") {
      return String(first.message_id);
    }
  }
  return undefined;
}
