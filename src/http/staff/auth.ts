import type { FastifyInstance, preHandlerAsyncHookHandler } from "fastify";
import fp from "fastify-plugin";
import type { StaffRole } from "../../staff/accounts.ts";
import type { StaffSession } from "../../staff/sessions.ts";
import type { KeyValuePort } from "../../store/kv.ts";
import { bearerToken, sameSecret } from "../secrets.ts";
import { csrfProblem } from "./csrf.ts";
import { langOf, t } from "./i18n.ts";
import { refuse, wantsJson } from "./refuse.ts";
import { staffSession, stillHere } from "./session.ts";

/**
 * Who is asking, for every route under /staff and the team API: a staff session
 * (cookie → record in the store) or, for scripts, the STAFF_API_TOKEN bearer (acts as
 * the owner). `requireRole(...roles)` is the one gate: no session → the login page
 * (pages) or 401 (APIs, htmx); the wrong role → 403; and a state-changing request on
 * a cookie must come from our own origin and carry the session's CSRF token.
 */
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

/**
 * The "staff-auth" plugin, once on the root instance (fastify-plugin: not
 * encapsulated): every scope's routes can then use requireRole, and a plugin that
 * needs it names it in its dependencies.
 */
export const staffAuth = fp(
  async (app: FastifyInstance, opts: StaffAuthOptions) => {
    if (!app.hasDecorator("staffAuth")) app.decorate("staffAuth", opts);
  },
  { name: "staff-auth", fastify: "5.x" },
);

/**
 * preHandler for a staff route: lets through a session whose role is listed (or the
 * API token, as the owner), refuses everyone else; sets request.staffCaller.
 */
export function requireRole(...roles: StaffRole[]): preHandlerAsyncHookHandler {
  return async function staffGate(req, reply) {
    const opts = req.server.staffAuth;
    if (sameSecret(bearerToken(req.headers.authorization), opts.apiToken)) {
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
