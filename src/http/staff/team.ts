import type { FastifyInstance } from "fastify";
import { listStaffAccounts } from "../../staff/accounts.ts";
import { teamAudit } from "../../staff/audit.ts";
import { onlineLogins } from "../../staff/presence.ts";
import type { ConversationReads, KeyValuePort } from "../../store/port.ts";
import { requireRole } from "./auth.ts";
import { langOf, t } from "./i18n.ts";
import { sendPage } from "./layout.ts";

/** /staff/team, for the owner: who is on the team, who is online, how many chats each has open, and the audit log. */
export async function registerTeam(app: FastifyInstance, deps: { store: ConversationReads & KeyValuePort }): Promise<void> {
  app.get("/staff/team", { preHandler: requireRole("owner") }, async (req, reply) => {
    const [team, online, chats, audit] = await Promise.all([
      listStaffAccounts(deps.store),
      onlineLogins(deps.store),
      deps.store.listConversations({ inHandoff: true, limit: 500 }),
      teamAudit(deps.store, 200),
    ]);
    const open = new Map<string, number>();
    for (const c of chats) if (c.handoff?.assignee) open.set(c.handoff.assignee, (open.get(c.handoff.assignee) ?? 0) + 1);
    const rows = team.map((a) => ({ login: a.login, role: a.role, online: online.has(a.login), open: open.get(a.login) ?? 0 }));
    return sendPage(req, reply, "team", { title: t(langOf(req), "team.title"), active: "team" }, { rows, audit });
  });
}
