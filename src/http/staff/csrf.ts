import type { FastifyRequest } from "fastify";
import type { StaffSession } from "../../staff/sessions.ts";
import { sameSecret } from "../secrets.ts";
import { requestOrigin, safeOrigin } from "./request.ts";

/** the origins a form of ours is posted from: the Host the request names, and PUBLIC_URL's */
function ownOrigins(req: FastifyRequest, opts: { trustProxy: boolean; publicUrl?: string }): string[] {
  const publicOrigin = safeOrigin(opts.publicUrl); // config validates it
  return [requestOrigin(req, opts), ...(publicOrigin ? [publicOrigin] : [])];
}

/** why a state-changing request on a cookie is refused, or null when it is ours */
export function csrfProblem(req: FastifyRequest, session: StaffSession, opts: { trustProxy: boolean; publicUrl?: string }): string | null {
  const origin = req.headers.origin ?? safeOrigin(req.headers.referer);
  if (!origin || !ownOrigins(req, opts).includes(origin)) return "origin";
  const body = req.body as Record<string, unknown> | undefined;
  const given = String(req.headers["x-csrf-token"] ?? (body && typeof body === "object" ? (body._csrf ?? "") : ""));
  if (!sameSecret(given, session.csrf)) return "token";
  return null;
}
