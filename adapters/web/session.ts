import { randomBytes } from "node:crypto";
import { parse, serialize } from "cookie";
import type { FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import type { KeyValuePort } from "../../src/store/kv.ts";
import { jsonOrUndefined } from "../../adapters/shared/json-or-undefined.ts";

/**
 * Web-chat sessions the server issues. The id is 128 random bits, kept in the
 * store's key-value records (shared by every instance on Redis) and handed to the
 * browser only as an HttpOnly, SameSite=Lax cookie: page scripts never see it, a
 * link cannot carry it, another site cannot send it with a POST. An id the server
 * did not issue, or one that expired, is never adopted: the page gets a new session.
 */
export type SessionRecords = Pick<KeyValuePort, "kvGet" | "kvSet">;

export const SESSION_COOKIE = "fd_chat";
const NS = "webchat.session";
/** a session lives this long after the customer last wrote */
export const SESSION_TTL_MS = 180 * 86_400_000;
/** refresh the expiry at most this often (one write per day of use, not per message) */
const REFRESH_AFTER_MS = 86_400_000;

/** 16 random bytes in base64url: 22 characters */
export const SessionId = z.string().regex(/^[A-Za-z0-9_-]{22}$/);
const Record = z.object({ createdAt: z.number(), touchedAt: z.number() });

export function newSessionId(): string {
  return randomBytes(16).toString("base64url");
}

export interface WebSessions {
  /** the request's session if the server issued it and it is live */
  current(req: FastifyRequest): Promise<string | null>;
  /** a new session, set as the cookie on `reply` */
  issue(req: FastifyRequest, reply: FastifyReply): Promise<string>;
  /** keep a session in use alive */
  touch(id: string): Promise<void>;
}

export function createWebSessions(kv: SessionRecords, now: () => number = Date.now): WebSessions {
  const cookieOf = (req: FastifyRequest): string | undefined => {
    const header = req.headers.cookie;
    if (!header) return undefined;
    try {
      return parse(header)[SESSION_COOKIE];
    } catch {
      return undefined;
    }
  };
  return {
    async current(req) {
      const id = SessionId.safeParse(cookieOf(req));
      if (!id.success) return null;
      const raw = await kv.kvGet(NS, id.data);
      return raw === null ? null : id.data;
    },
    async issue(req, reply) {
      const id = newSessionId();
      const t = now();
      await kv.kvSet(NS, id, JSON.stringify({ createdAt: t, touchedAt: t }), { ttlMs: SESSION_TTL_MS, ifAbsent: true });
      reply.header(
        "set-cookie",
        serialize(SESSION_COOKIE, id, {
          httpOnly: true,
          sameSite: "lax",
          secure: req.protocol === "https",
          path: "/webchat/",
          maxAge: Math.floor(SESSION_TTL_MS / 1000),
        }),
      );
      return id;
    },
    async touch(id) {
      const raw = await kv.kvGet(NS, id);
      const rec = raw === null ? undefined : Record.safeParse(jsonOrUndefined(raw));
      const t = now();
      if (rec?.success && t - rec.data.touchedAt < REFRESH_AFTER_MS) return;
      const createdAt = rec?.success ? rec.data.createdAt : t;
      await kv.kvSet(NS, id, JSON.stringify({ createdAt, touchedAt: t }), { ttlMs: SESSION_TTL_MS });
    },
  };
}
