import type { OutboxItem } from "../model/outbound.ts";

/**
 * The web chat's long-poll read: a conversation's sent replies after a seq, from the
 * index the store keeps by (conversation, seq), so a poll reads only what is new
 * however long the chat. Both stores implement it (a few lines beside listOutbox).
 */
export interface SentAfterPort {
  listSentAfter(conversationKey: string, afterSeq: number, limit: number): Promise<OutboxItem[]>;
}

/** at most this many replies per read; the page asks again from the last one it got */
export const SENT_AFTER_MAX = 500;
