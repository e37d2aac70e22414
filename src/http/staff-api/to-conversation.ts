import { randomUUID } from "node:crypto";
import type { FastifyReply } from "fastify";
import type { InboundEvent } from "../../model/inbound.ts";
import type { EnqueueOutcome } from "../../store/port.ts";
import type { StaffApiDeps } from "./deps.ts";

type SystemEvent = Extract<InboundEvent, { type: "system" }>["event"];

/**
 * Sends a system event to a conversation's queue, so it is ordered with the customer's
 * own messages; null when there is no such conversation. `id` is the caller's
 * idempotency key (the same id writes once).
 */
export async function toConversation(deps: StaffApiDeps, key: string, event: SystemEvent, id?: string): Promise<EnqueueOutcome | null | undefined> {
  const conv = await deps.store.getConversation(key);
  if (!conv) return null;
  const [outcome] = await deps.ingest([
    { type: "system", channel: conv.channel, chatId: conv.chatId, userId: conv.chatId, dedupeKey: `staff:${id ?? randomUUID()}`, at: deps.now(), event },
  ]);
  return outcome;
}

export function notFound(reply: FastifyReply, what: string): FastifyReply {
  return reply.code(404).send({ error: "not_found", message: `no ${what}` });
}

/** 202 for a write queued (or already queued: `duplicate`), 404 when its conversation is gone */
export function accepted(reply: FastifyReply, outcome: EnqueueOutcome | null | undefined, key: string): FastifyReply {
  if (!outcome) return notFound(reply, `conversation ${key}`);
  return reply.code(202).send({ ok: true, duplicate: outcome === "duplicate" });
}
