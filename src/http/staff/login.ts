import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import { verifyStaffPassword } from "../../staff/accounts.ts";
import { recordStaffAction } from "../../staff/audit.ts";
import { loginBlocked, loginFailed, loginSucceeded } from "../../staff/login-limit.ts";
import { newToken, openSession, SESSION_TTL_MS } from "../../staff/sessions.ts";
import { clientAddress, cookieValue, isHttps, requestOrigin } from "./request.ts";
import { sessionCookie, staffSession } from "./session.ts";
import { langOf, t } from "./i18n.ts";
import { sendPage } from "./layout.ts";

/**
 * Sign-in (sign-out and the language switch: session-end.ts). The login form carries a one-off token that must match a
 * cookie set with the page (the form cannot be posted from another site), and the
 * Origin is checked; failures count per login and per address.
 */
const PRE_COOKIE = "fd_pre";

const LoginBody = z.object({
  login: z.string().max(100).default(""),
  password: z.string().max(1000).default(""),
  _pre: z.string().max(100).default(""),
  next: z.string().max(500).default(""),
});

/** only our own pages: never another host (`//evil`, `/\evil`) */
export function safeNext(next: string | undefined): string {
  return next && /^\/staff(\/[^\\]*)?$/.test(next) && !next.startsWith("//") ? next : "/staff/";
}

export async function registerLogin(app: FastifyInstance, now: () => number): Promise<void> {
  const opts = app.staffAuth;

  const show = (req: FastifyRequest, reply: FastifyReply, code: number, data: { error?: string; login?: string; next?: string }) => {
    const pre = newToken();
    reply.header("set-cookie", `${PRE_COOKIE}=${pre}; Path=/staff/login; HttpOnly; SameSite=Strict; Max-Age=3600${isHttps(req, opts) ? "; Secure" : ""}`);
    return sendPage(req, reply.code(code), "login", { title: t(langOf(req), "login.title") }, {
      pre,
      error: data.error ?? "",
      login: data.login ?? "",
      next: safeNext(data.next),
    });
  };

  app.get<{ Querystring: { next?: string } }>("/staff/login", async (req, reply) => {
    if (await staffSession(req)) return reply.redirect(safeNext(req.query.next), 303);
    return show(req, reply, 200, { next: req.query.next ?? "" });
  });

  app.post("/staff/login", async (req, reply) => {
    const lang = langOf(req);
    const body = LoginBody.safeParse(req.body ?? {});
    const b = body.success ? body.data : { login: "", password: "", _pre: "", next: "" };
    const origin = req.headers.origin;
    const ownOrigin = requestOrigin(req, opts);
    const publicOrigin = opts.publicUrl ? new URL(opts.publicUrl).origin : undefined;
    const pre = cookieValue(req, PRE_COOKIE);
    if ((origin !== ownOrigin && origin !== publicOrigin) || !pre || pre !== b._pre) {
      return show(req, reply, 403, { error: t(lang, "login.expired"), login: b.login, next: b.next });
    }
    const address = clientAddress(req, opts);
    const login = b.login.trim().toLowerCase();
    const blocked = await loginBlocked(opts.kv, login, address);
    if (blocked) {
      reply.header("retry-after", String(Math.ceil(blocked.retryAfterMs / 1000)));
      return show(req, reply, 429, { error: t(lang, "login.limited", { minutes: Math.ceil(blocked.retryAfterMs / 60_000) }), login: b.login, next: b.next });
    }
    const account = await verifyStaffPassword(opts.kv, login, b.password);
    if (!account) {
      await loginFailed(opts.kv, login, address);
      await recordStaffAction(opts.kv, { at: now(), by: login.slice(0, 40) || "?", action: "login_failed", address });
      return show(req, reply, 401, { error: t(lang, "login.wrong"), login: b.login, next: b.next });
    }
    await loginSucceeded(opts.kv, login);
    const session = await openSession(opts.kv, account);
    await recordStaffAction(opts.kv, { at: now(), by: account.login, action: "login", address });
    reply.header("set-cookie", [
      sessionCookie(req, opts, session.id, Math.floor(SESSION_TTL_MS / 1000)),
      `${PRE_COOKIE}=; Path=/staff/login; Max-Age=0`,
    ]);
    return reply.redirect(safeNext(b.next), 303);
  });
}
