import type { KeyValuePort } from "../store/kv.ts";

/**
 * Who is at their desk: a staff member with a live inbox connection (refreshed by its
 * heartbeat) or who did something in the last minutes. Shared by instances (the
 * key-value port), so routing on any instance sees the same people.
 */
export const ONLINE_NS = "staff.online";
export const ONLINE_TTL_MS = 90_000;

export async function markOnline(kv: KeyValuePort, login: string, now: number = Date.now()): Promise<void> {
  await kv.kvSet(ONLINE_NS, login, String(now), { ttlMs: ONLINE_TTL_MS });
}

export async function onlineLogins(kv: KeyValuePort): Promise<Set<string>> {
  return new Set((await kv.kvList(ONLINE_NS, 1000)).map((e) => e.key));
}
