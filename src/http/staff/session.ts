import type { FastifyRequest } from "fastify";
import { markOnline } from "../../staff/presence.ts";
import { findSession, type StaffSession } from "../../staff/sessions.ts";
import type { KeyValuePort } from "../../store/kv.ts";
import { cookieValue, isHttps } from "./request.ts";

/** the staff session's cookie: its value names a session record in the store */
export const SESSION_COOKIE = "fd_staff";

export function sessionCookie(req: FastifyRequest, opts: { trustProxy: boolean }, value: string, maxAgeSec: number): string {
  const flags = [`${SESSION_COOKIE}=${value}`, "Path=/", "HttpOnly", "SameSite=Lax", `Max-Age=${maxAgeSec}`];
  if (isHttps(req, opts)) flags.push("Secure");
  return flags.join("; ");
}

/** the session behind the request's cookie (looked up once per request) */
export async function staffSession(req: FastifyRequest): Promise<StaffSession | null> {
  const cached = (req as FastifyRequest & { [SESSION_CACHE]?: StaffSession | null })[SESSION_CACHE];
  if (cached !== undefined) return cached;
  const found = await findSession(req.server.staffAuth.kv, cookieValue(req, SESSION_COOKIE));
  (req as FastifyRequest & { [SESSION_CACHE]?: StaffSession | null })[SESSION_CACHE] = found;
  return found;
}
const SESSION_CACHE = Symbol("staffSession");

/** recent activity counts as online for routing (written at most every 30 s per person) */
const lastSeen = new Map<string, number>();
export function stillHere(kv: KeyValuePort, login: string): void {
  const now = Date.now();
  if (now - (lastSeen.get(login) ?? 0) < 30_000) return;
  lastSeen.set(login, now);
  void markOnline(kv, login, now).catch(() => lastSeen.delete(login));
}
