import { bearerToken, sameSecret } from "../secrets.ts";
import type { FastifyInstance, FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from "fastify";
import type { StaffRole } from "../../staff/accounts.ts";
import { markOnline } from "../../staff/presence.ts";
import { findSession, type StaffSession } from "../../staff/sessions.ts";
import type { KeyValuePort } from "../../store/kv.ts";
import { langOf, t, type Lang } from "./i18n.ts";

/**
 * Who is asking, for every route under /staff and the team API: a staff session
 * (cookie → record in the store) or, for scripts, the STAFF_API_TOKEN bearer (acts as
 * the owner). `requireRole(...roles)` is the one gate: no session → the login page
 * (pages) or 401 (APIs, htmx); the wrong role → 403; and a state-changing request on
 * a cookie must come from our own origin and carry the session's CSRF token.
 */
export const SESSION_COOKIE = "fd_staff";

export interface StaffAuthOptions {
  kv: KeyValuePort;
  apiToken?: string;
  /** behind a reverse proxy: believe X-Forwarded-Proto / -For */
  trustProxy: boolean;
  /** PUBLIC_URL: its origin is accepted besides the Host the request names */
  publicUrl?: string;
}

/** the caller of a staff route once requireRole let it through */
export interface StaffCaller {
  login: string;
  role: StaffRole;
  /** absent for the bearer token */
  session?: StaffSession;
}

declare module "fastify" {
  interface FastifyInstance {
    staffAuth: StaffAuthOptions;
  }
  interface FastifyRequest {
    staffCaller?: StaffCaller;
  }
}

const STATE_CHANGING = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/** once, on the root instance: every plugin's routes can then use requireRole */
export function decorateStaffAuth(app: FastifyInstance, opts: StaffAuthOptions): void {
  if (!app.hasDecorator("staffAuth")) app.decorate("staffAuth", opts);
}


export function cookieValue(req: FastifyRequest, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? "").split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) {
      try {
        return decodeURIComponent(part.slice(eq + 1).trim());
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

/** https directly, or through a proxy we were told to trust */
export function isHttps(req: FastifyRequest, opts: Pick<StaffAuthOptions, "trustProxy">): boolean {
  if (opts.trustProxy) {
    const forwarded = String(req.headers["x-forwarded-proto"] ?? "").split(",")[0]?.trim().toLowerCase();
    if (forwarded) return forwarded === "https";
  }
  return req.protocol === "https";
}

/** the client's address: the last hop a trusted proxy saw, else the socket's peer */
export function clientAddress(req: FastifyRequest, opts: Pick<StaffAuthOptions, "trustProxy">): string {
  if (opts.trustProxy) {
    const hops = String(req.headers["x-forwarded-for"] ?? "").split(",").map((s) => s.trim()).filter(Boolean);
    if (hops.length > 0) return hops[hops.length - 1]!;
  }
  return req.socket.remoteAddress ?? "unknown";
}

export function sessionCookie(req: FastifyRequest, opts: Pick<StaffAuthOptions, "trustProxy">, value: string, maxAgeSec: number): string {
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

function bearerOk(req: FastifyRequest, token: string | undefined): boolean {
  return sameSecret(bearerToken(req.headers.authorization), token);
}

function wantsJson(req: FastifyRequest): boolean {
  return req.url.startsWith("/api/") || req.headers["hx-request"] === "true" || req.headers.accept === "text/event-stream";
}

/** the origins a form of ours is posted from */
function ownOrigins(req: FastifyRequest, opts: StaffAuthOptions): string[] {
  const origins = [`${isHttps(req, opts) ? "https" : "http"}://${req.headers.host ?? ""}`];
  if (opts.publicUrl) {
    try {
      origins.push(new URL(opts.publicUrl).origin);
    } catch {
      /* config validates it */
    }
  }
  return origins;
}

/** why a state-changing request on a cookie is refused, or null when it is ours */
export function csrfProblem(req: FastifyRequest, session: StaffSession, opts: StaffAuthOptions): string | null {
  const origin = req.headers.origin ?? (req.headers.referer ? safeOrigin(req.headers.referer) : undefined);
  if (!origin || !ownOrigins(req, opts).includes(origin)) return "origin";
  const body = req.body as Record<string, unknown> | undefined;
  const given = String(req.headers["x-csrf-token"] ?? (body && typeof body === "object" ? (body._csrf ?? "") : ""));
  if (!sameSecret(given, session.csrf)) return "token";
  return null;
}

function safeOrigin(url: string): string | undefined {
  try {
    return new URL(url).origin;
  } catch {
    return undefined;
  }
}

function refuse(req: FastifyRequest, reply: FastifyReply, code: 401 | 403, message: string): FastifyReply {
  if (wantsJson(req)) {
    if (code === 401 && req.headers["hx-request"] === "true") reply.header("HX-Redirect", "/staff/login");
    return reply.code(code).send({ error: code === 401 ? "unauthorized" : "forbidden", message });
  }
  return reply.code(code).type("text/html; charset=utf-8").send(errorPage(langOf(req), message));
}

function errorPage(lang: Lang, message: string): string {
  const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  return `<!doctype html><html lang="${lang}"><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${esc(t(lang, "forbidden.title"))}</title><link rel="stylesheet" href="/staff/assets/staff.css"><main class="narrow"><h1>${esc(t(lang, "forbidden.title"))}</h1><p>${esc(message)}</p><p><a href="/staff/">${esc(t(lang, "forbidden.back"))}</a></p></main></html>`;
}

/**
 * preHandler for a staff route: lets through a session whose role is listed (or the
 * API token, as the owner), refuses everyone else; sets request.staffCaller.
 */
export function requireRole(...roles: StaffRole[]): preHandlerAsyncHookHandler {
  return async function staffGate(req, reply) {
    const opts = req.server.staffAuth;
    if (bearerOk(req, opts.apiToken)) {
      req.staffCaller = { login: "api", role: "owner" };
      return;
    }
    const session = await staffSession(req);
    const lang = langOf(req);
    if (!session) {
      if (wantsJson(req)) return refuse(req, reply, 401, t(lang, "auth.login_first"));
      const next = req.method === "GET" && req.url.startsWith("/staff") ? `?next=${encodeURIComponent(req.url)}` : "";
      return reply.redirect(`/staff/login${next}`, 303);
    }
    if (!roles.includes(session.account.role)) return refuse(req, reply, 403, t(lang, "auth.forbidden_role", { role: t(lang, `role.${session.account.role}`) }));
    if (STATE_CHANGING.has(req.method)) {
      const problem = csrfProblem(req, session, opts);
      if (problem) return refuse(req, reply, 403, t(lang, problem === "origin" ? "auth.bad_origin" : "auth.bad_csrf"));
    }
    req.staffCaller = { login: session.account.login, role: session.account.role, session };
    stillHere(opts.kv, session.account.login);
  };
}

/** recent activity counts as online for routing (written at most every 30 s per person) */
const lastSeen = new Map<string, number>();
function stillHere(kv: KeyValuePort, login: string): void {
  const now = Date.now();
  if (now - (lastSeen.get(login) ?? 0) < 30_000) return;
  lastSeen.set(login, now);
  void markOnline(kv, login, now).catch(() => lastSeen.delete(login));
}
