import type { FastifyInstance } from "fastify";
import { recordStaffAction } from "../../staff/audit.ts";
import { closeSession } from "../../staff/sessions.ts";
import { requireRole } from "./auth.ts";
import { LANG_COOKIE } from "./i18n.ts";
import { safeNext } from "./login.ts";
import { requestOrigin, safeOrigin } from "./request.ts";
import { sessionCookie } from "./session.ts";

/** Sign-out, and the language switch (a display preference only: a cookie, no server state). */
export async function registerSessionEnd(app: FastifyInstance, now: () => number): Promise<void> {
  const opts = app.staffAuth;

  app.post("/staff/logout", { preHandler: requireRole("owner", "operator", "viewer") }, async (req, reply) => {
    const session = req.staffCaller?.session;
    if (session) {
      await closeSession(opts.kv, session.id);
      await recordStaffAction(opts.kv, { at: now(), by: session.account.login, action: "logout" });
    }
    reply.header("set-cookie", sessionCookie(req, opts, "", 0));
    return reply.redirect("/staff/login", 303);
  });

  app.get<{ Params: { lang: string } }>("/staff/lang/:lang", async (req, reply) => {
    const lang = req.params.lang === "en" ? "en" : "ru";
    reply.header("set-cookie", `${LANG_COOKIE}=${lang}; Path=/staff; SameSite=Lax; Max-Age=31536000`);
    const back = safeOrigin(req.headers.referer) === requestOrigin(req, opts) ? new URL(req.headers.referer!).pathname : "/staff/";
    return reply.redirect(safeNext(back), 303);
  });
}
