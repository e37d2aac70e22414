import { randomUUID } from "node:crypto";
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import type { Ingest } from "../channel/port.ts";
import type { LinkBuilder } from "../engine/engine.ts";
import type { CHANNELS, Channel } from "../model/channel.ts";
import type { ContactReads, ConversationReads } from "../store/port.ts";
import { createMoveCode, MOVE_NS, MOVE_TTL_MS } from "../moves/codes.ts";
import type { SmallKv } from "../moves/kv.ts";
import { moveOfferText } from "../moves/texts.ts";
import { apiSchemas, apiToken } from "./api-plugins.ts";
import { KeyParams } from "./staff-api/schemas.ts";

export interface MovesApiDeps {
  store: ConversationReads & ContactReads;
  kv: SmallKv;
  ingest: Ingest;
  links: LinkBuilder;
  /** the channels this service can receive on (a link to an unconfigured one leads nowhere) */
  channels: () => Channel[];
  token: string | undefined;
  now: () => number;
}

/** where a deep link can carry a code (WhatsApp has no start payload for a business number) */
const MOVE_TARGETS = ["max", "telegram", "vk", "web"] as const satisfies readonly (typeof CHANNELS)[number][];
const LINK_OF: Record<(typeof MOVE_TARGETS)[number], RegExp> = {
  max: /^https:\/\/max\.ru\//,
  telegram: /^https:\/\/t\.me\//,
  vk: /^https:\/\/vk\.me\//,
  web: /^https?:\/\//,
};
/** `id`: the caller's idempotency key (the same id offers once) */
const MoveBody = z.preprocess((b) => b ?? {}, z.object({ to: z.enum(MOVE_TARGETS), by: z.string().min(1).max(80).optional(), id: z.string().max(64).optional() }).strict());

/**
 * POST /api/conversations/:key/move {to}: offers the customer, on the chat they are
 * in, to carry on in another messenger with one tap — a deep link with a one-time
 * code (src/moves/codes.ts). Their contact, conversation, cart and history continue
 * there when they open it. Staff API auth (Bearer STAFF_API_TOKEN).
 */
export async function registerMovesApi(app: FastifyInstance, deps: MovesApiDeps): Promise<void> {
  await app.register(async (scope) => {
    await scope.register(apiSchemas);
    await scope.register(apiToken, { token: deps.token });
    const api = scope.withTypeProvider<ZodTypeProvider>();
    api.post("/api/conversations/:key/move", { schema: { params: KeyParams, body: MoveBody } }, async (req, reply) => {
      const { to } = req.body;
      const { key } = req.params;
      const conv = await deps.store.getConversation(key);
      if (!conv) return reply.code(404).send({ error: "not_found", message: `no conversation ${key}` });
      if (conv.channel === to) return reply.code(409).send({ error: "same_channel", message: `the customer is in ${to} already` });
      if (!deps.channels().includes(to)) return reply.code(409).send({ error: "channel_off", message: `${to} is not configured on this service` });
      const contact = await deps.store.getContact(conv.contactId);
      const now = deps.now();
      const code = await createMoveCode(deps.kv, { contactId: conv.contactId, from: conv.key, to, at: now });
      const link = deps.links(to, `mv_${code}`);
      if (!LINK_OF[to].test(link)) {
        await deps.kv.kvDelete(MOVE_NS, code);
        return reply.code(503).send({ error: "no_link_yet", message: `the ${to} bot's name is not known yet (its API did not answer); try again in a minute` });
      }
      const [outcome] = await deps.ingest([
        {
          type: "system",
          channel: conv.channel,
          chatId: conv.chatId,
          userId: conv.chatId,
          dedupeKey: `move:${req.body.id ?? randomUUID()}`,
          at: now,
          event: { kind: "relay", text: moveOfferText(to, link, contact?.locale), from: conv.channel, why: "move_offer" },
        },
      ]);
      return reply.code(202).send({ ok: true, duplicate: outcome === "duplicate", to, link, expiresAt: now + MOVE_TTL_MS });
    });
  });
}
