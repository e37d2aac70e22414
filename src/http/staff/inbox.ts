import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { AUDIENCES, type Audience } from "../../model/domain.ts";
import { inboxRows, type InboxRow, type OutOfHours } from "../../staff/inbox.ts";
import type { EventBus } from "../../events/bus.ts";
import type { CustomerReads, KeyValuePort } from "../../store/port.ts";
import { requireRole } from "./auth.ts";
import { langOf, t } from "./i18n.ts";
import { renderView, sendPage } from "./layout.ts";

/**
 * /staff/: the queues per audience and the chats waiting for a person. The list is
 * also served alone (/staff/inbox/rows) so the page swaps it in when the live
 * connection says something changed.
 */
const Query = z.object({ q: z.enum(AUDIENCES).optional() });

export interface InboxDeps {
  store: CustomerReads & KeyValuePort;
  now: () => number;
  events: Pick<EventBus, "head">;
  /** the shop's working hours, when known (a chat handed over while closed is marked so) */
  outOfHours?: OutOfHours;
}

function rowsView(rows: InboxRow[], audience: Audience | undefined, now: number, me: string | undefined) {
  const counts = Object.fromEntries(AUDIENCES.map((a) => [a, rows.filter((r) => r.audience === a).length]));
  const shown = audience ? rows.filter((r) => r.audience === audience) : rows;
  return { rows: shown, counts, total: rows.length, audience: audience ?? "", audiences: AUDIENCES, now, me };
}

export async function registerInbox(app: FastifyInstance, deps: InboxDeps): Promise<void> {
  const gate = { preHandler: requireRole("owner", "operator", "viewer") };

  app.get<{ Querystring: Record<string, string> }>("/staff/", gate, async (req, reply) => {
    const q = Query.safeParse(req.query);
    const audience = q.success ? q.data.q : undefined;
    const cursor = await deps.events.head();
    const data = rowsView(await inboxRows(deps.store, 200, deps.outOfHours), audience, deps.now(), req.staffCaller?.login);
    return sendPage(req, reply, "inbox", { title: t(langOf(req), "inbox.title"), active: "inbox", live: true, cursor }, {
      ...data,
      rowsHtml: renderView("inbox-rows", langOf(req), data),
    });
  });

  app.get("/staff", async (_req, reply) => reply.redirect("/staff/", 301));

  app.get<{ Querystring: Record<string, string> }>("/staff/inbox/rows", gate, async (req, reply) => {
    const q = Query.safeParse(req.query);
    const data = rowsView(await inboxRows(deps.store, 200, deps.outOfHours), q.success ? q.data.q : undefined, deps.now(), req.staffCaller?.login);
    return reply.type("text/html; charset=utf-8").header("cache-control", "no-store").send(renderView("inbox-rows", langOf(req), data));
  });
}
