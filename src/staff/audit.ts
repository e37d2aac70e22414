import { createHash, randomBytes } from "node:crypto";
import { z } from "zod";
import type { KeyValuePort } from "../store/kv.ts";

/**
 * Who did what and when: every staff action (login, logout, take, reply, note, hand
 * back, resolve, status, assign, offline touchpoint) in the key-value port — the
 * whole team's log, and each chat's own, which its history shows. Kept 180 days.
 * Keys sort newest first (an inverted time), so a list reads the latest.
 */
export const AUDIT_NS = "staff.audit";
const KEEP_MS = 180 * 86_400_000;
const FAR = 9_000_000_000_000_000;

export const AUDIT_ACTIONS = [
  "login",
  "login_failed",
  "logout",
  "take",
  "reply",
  "note",
  "handback",
  "resolve",
  "status",
  "assign",
  "offline",
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

const AuditEntry = z.object({
  at: z.number(),
  by: z.string(),
  action: z.enum(AUDIT_ACTIONS),
  conversationKey: z.string().optional(),
  /** a short human line (the reply's start, the new status, who it went to) */
  detail: z.string().optional(),
  address: z.string().optional(),
});
export type AuditEntry = z.infer<typeof AuditEntry>;

/** each chat's own log: one small namespace per conversation */
function chatNs(conversationKey: string): string {
  return `staff.audit.${createHash("sha256").update(conversationKey).digest("hex").slice(0, 24)}`;
}

export async function recordStaffAction(kv: KeyValuePort, entry: AuditEntry): Promise<void> {
  const key = `${String(FAR - entry.at).padStart(16, "0")}:${randomBytes(4).toString("hex")}`;
  const value = JSON.stringify({ ...entry, ...(entry.detail ? { detail: entry.detail.slice(0, 200) } : {}) });
  const writes = [kv.kvSet(AUDIT_NS, key, value, { ttlMs: KEEP_MS })];
  if (entry.conversationKey) writes.push(kv.kvSet(chatNs(entry.conversationKey), key, value, { ttlMs: KEEP_MS }));
  await Promise.all(writes);
}

function parse(rows: { value: string }[]): AuditEntry[] {
  return rows.flatMap(({ value }) => {
    const parsed = AuditEntry.safeParse(JSON.parse(value));
    return parsed.success ? [parsed.data] : [];
  });
}

/** newest first */
export async function teamAudit(kv: KeyValuePort, limit = 200): Promise<AuditEntry[]> {
  return parse(await kv.kvList(AUDIT_NS, limit));
}

/** newest first */
export async function chatAudit(kv: KeyValuePort, conversationKey: string, limit = 500): Promise<AuditEntry[]> {
  return parse(await kv.kvList(chatNs(conversationKey), limit));
}
