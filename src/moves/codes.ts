import { randomBytes } from "node:crypto";
import { z } from "zod";
import type { SmallKv } from "./kv.ts";

/**
 * One-time move codes: a deep link `mv_<code>` on another messenger carries the
 * customer's contact and conversation there. Kept in the key-value store with a TTL,
 * redeemed once (kvTake), so a forwarded or leaked link cannot be used twice.
 */
export const MOVE_NS = "moves";
export const MOVE_TTL_MS = 7 * 24 * 3_600_000;
/** 16 characters of A-Z a-z 0-9: ~95 bits, and within every platform's start-payload rules */
export const MOVE_PAYLOAD = /^mv_([A-Za-z0-9]{16})$/;

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

export const MoveTicket = z.object({
  contactId: z.string().min(1),
  /** the conversation the customer moves from */
  from: z.string().min(1),
  /** the channel it was offered for (any channel may redeem it; this is for the log) */
  to: z.string().min(1),
  at: z.number(),
});
export type MoveTicket = z.infer<typeof MoveTicket>;

function newCode(): string {
  // rejection sampling keeps every character equally likely
  let out = "";
  while (out.length < 16) {
    for (const b of randomBytes(24)) {
      if (b < 248 && out.length < 16) out += ALPHABET[b % 62];
    }
  }
  return out;
}

export async function createMoveCode(kv: SmallKv, ticket: MoveTicket): Promise<string> {
  for (let i = 0; i < 5; i++) {
    const code = newCode();
    if (await kv.kvSet(MOVE_NS, code, JSON.stringify(ticket), { ttlMs: MOVE_TTL_MS, ifAbsent: true })) return code;
  }
  throw new Error("could not store a move code");
}

/** the ticket, once; null when the code is unknown, used or expired */
export async function takeMoveCode(kv: SmallKv, code: string): Promise<MoveTicket | null> {
  const raw = await kv.kvTake(MOVE_NS, code);
  if (raw === null) return null;
  try {
    return MoveTicket.parse(JSON.parse(raw));
  } catch {
    return null;
  }
}

/** put a taken code back when the move could not be finished (the platform will deliver the update again) */
export async function restoreMoveCode(kv: SmallKv, code: string, ticket: MoveTicket): Promise<void> {
  await kv.kvSet(MOVE_NS, code, JSON.stringify(ticket), { ttlMs: MOVE_TTL_MS, ifAbsent: true });
}
