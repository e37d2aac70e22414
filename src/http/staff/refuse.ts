import type { FastifyReply, FastifyRequest } from "fastify";
import { langOf, t, type Lang } from "./i18n.ts";

/** APIs, htmx and the live stream are answered JSON; pages an HTML page */
export function wantsJson(req: FastifyRequest): boolean {
  return req.url.startsWith("/api/") || req.headers["hx-request"] === "true" || req.headers.accept === "text/event-stream";
}

/** a 401 or 403 in the form the caller reads (htmx is sent to the login page on 401) */
export function refuse(req: FastifyRequest, reply: FastifyReply, code: 401 | 403, message: string): FastifyReply {
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
