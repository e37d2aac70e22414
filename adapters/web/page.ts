import { readFileSync } from "node:fs";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";

/** The shop's name in both languages (flows/shop.yaml `name`). */
export interface ShopName {
  ru: string;
  en: string;
}

const file = (name: string) => readFileSync(new URL(`./${name}`, import.meta.url), "utf8");
const HTML = file("page.html");
const SCRIPT = file("chat.js");
const STYLE = file("chat.css");

const escapeHtml = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);

/**
 * The page at / and its script and style as files of their own, so the
 * Content-Security-Policy can forbid inline script and style. The shop's name is
 * written into the page (escaped) for the header and the tab title, with the line on
 * whether people are there now.
 */
export async function registerPage(
  scope: FastifyInstance,
  shopName: (() => ShopName) | undefined,
  /** per-address limit: answers whether it sent a 429 */
  limited: (req: FastifyRequest, reply: FastifyReply) => Promise<boolean>,
  /** whether people are there now, in both languages */
  presence?: () => ShopName,
): Promise<void> {
  scope.addHook("onRequest", async (req, reply) => {
    if (req.method === "GET" && (req.url === "/" || req.url.startsWith("/?") || req.url.startsWith("/webchat/chat."))) {
      if (await limited(req, reply)) return reply;
    }
  });
  scope.get("/", async (_req, reply) => {
    const name = shopName?.() ?? { ru: "Чат магазина", en: "Shop chat" };
    const people = presence?.() ?? { ru: "", en: "" };
    const html = HTML.replaceAll("{{name.ru}}", escapeHtml(name.ru))
      .replaceAll("{{name.en}}", escapeHtml(name.en))
      .replaceAll("{{people.ru}}", escapeHtml(people.ru))
      .replaceAll("{{people.en}}", escapeHtml(people.en));
    return reply.type("text/html; charset=utf-8").header("cache-control", "no-store").send(html);
  });
  scope.get("/webchat/chat.js", async (_req, reply) =>
    reply.type("text/javascript; charset=utf-8").header("cache-control", "no-cache").send(SCRIPT),
  );
  scope.get("/webchat/chat.css", async (_req, reply) =>
    reply.type("text/css; charset=utf-8").header("cache-control", "no-cache").send(STYLE),
  );
}
