import { createHash, randomBytes } from "node:crypto";
import { z } from "zod";
import type { KeyValuePort } from "../store/kv.ts";
import { getStaffAccount, type StaffAccount } from "./accounts.ts";

/**
 * Server-side staff sessions in the key-value port, so every instance knows them and
 * logging out ends one everywhere. The cookie carries a random id; the store keys the
 * record by its SHA-256, so a copy of the store does not hold live cookies. Each
 * session has its own CSRF token (synchronizer pattern) for the forms and htmx.
 */
export const SESSIONS_NS = "staff.sessions";
export const SESSION_TTL_MS = 12 * 3_600_000;

const SessionRecord = z.object({
  login: z.string(),
  csrf: z.string(),
  generation: z.number().int(),
  createdAt: z.number(),
});

export interface StaffSession {
  id: string;
  csrf: string;
  account: StaffAccount;
  createdAt: number;
}

const keyOf = (id: string) => createHash("sha256").update(id).digest("base64url");

export function newToken(): string {
  return randomBytes(32).toString("base64url");
}

export async function openSession(kv: KeyValuePort, account: StaffAccount, now: number = Date.now()): Promise<StaffSession> {
  const id = newToken();
  const record = { login: account.login, csrf: newToken(), generation: account.generation, createdAt: now };
  await kv.kvSet(SESSIONS_NS, keyOf(id), JSON.stringify(record), { ttlMs: SESSION_TTL_MS });
  return { id, csrf: record.csrf, account, createdAt: now };
}

/** the live session of a cookie value; null when unknown, expired, or its account was removed or got a new password */
export async function findSession(kv: KeyValuePort, id: string | undefined): Promise<StaffSession | null> {
  if (!id || id.length > 100) return null;
  const raw = await kv.kvGet(SESSIONS_NS, keyOf(id));
  if (raw === null) return null;
  const parsed = SessionRecord.safeParse(JSON.parse(raw));
  if (!parsed.success) return null;
  const account = await getStaffAccount(kv, parsed.data.login);
  if (!account || account.generation !== parsed.data.generation) return null;
  return { id, csrf: parsed.data.csrf, account, createdAt: parsed.data.createdAt };
}

export async function closeSession(kv: KeyValuePort, id: string): Promise<void> {
  await kv.kvDelete(SESSIONS_NS, keyOf(id));
}
