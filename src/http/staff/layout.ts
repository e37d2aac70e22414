import { Eta } from "eta";
import type { FastifyReply, FastifyRequest } from "fastify";
import type { StaffCaller } from "./auth.ts";
import { langOf, t, waited, type Lang } from "./i18n.ts";

/**
 * The staff pages' shell: eta templates in ./views (escaped by default: `<%= %>`;
 * `<%~ %>` only for HTML we built ourselves), one layout with the header (sections,
 * who is signed in, language switch, sign-out), htmx and our script from
 * /staff/assets. Other branches' pages under /staff use `sendPage`.
 */
const eta = new Eta({ views: new URL("./views", import.meta.url).pathname, autoEscape: true, cache: process.env.NODE_ENV !== "development" });

export interface PageContext {
  lang: Lang;
  title: string;
  caller?: StaffCaller;
  /** nav item to highlight: "inbox", "team", "reports", … */
  active?: string;
  /** the page wants the live connection (inbox, chat) */
  live?: boolean;
}

/** what every template sees besides its own data */
export function helpers(lang: Lang) {
  return {
    lang,
    t: (key: string, vars?: Record<string, string | number>) => t(lang, key, vars),
    waited: (ms: number) => waited(lang, ms),
    time: (at: number) =>
      new Intl.DateTimeFormat(lang === "ru" ? "ru-RU" : "en-GB", { day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" }).format(at),
  };
}

/** a partial (an htmx fragment) */
export function renderView(name: string, lang: Lang, data: Record<string, unknown>): string {
  return eta.render(`./${name}`, { ...helpers(lang), ...data });
}

/** a whole page: `body` is HTML made by renderView (or escaped by the caller) */
export function layout(ctx: PageContext, body: string): string {
  const caller = ctx.caller;
  return eta.render("./layout", {
    ...helpers(ctx.lang),
    title: ctx.title,
    active: ctx.active ?? "",
    live: ctx.live === true,
    login: caller?.login,
    role: caller?.role,
    csrf: caller?.session?.csrf ?? "",
    body,
  });
}

/** render `view` inside the layout and send it */
export function sendPage(
  req: FastifyRequest,
  reply: FastifyReply,
  view: string,
  page: Omit<PageContext, "lang" | "caller">,
  data: Record<string, unknown> = {},
): FastifyReply {
  const lang = langOf(req);
  const body = renderView(view, lang, { ...data, csrf: req.staffCaller?.session?.csrf ?? "", me: req.staffCaller?.login });
  return reply
    .type("text/html; charset=utf-8")
    .header("cache-control", "no-store")
    .send(layout({ ...page, lang, ...(req.staffCaller ? { caller: req.staffCaller } : {}) }, body));
}
