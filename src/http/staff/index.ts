import formbody from "@fastify/formbody";
import type { FastifyInstance } from "fastify";
import fp from "fastify-plugin";
import type { Config } from "../../config.ts";
import type { Bundle } from "../../engine/bundle.ts";
import type { EventBus } from "../../events/bus.ts";
import type { InboundEvent } from "../../model/inbound.ts";
import { listStaffAccounts } from "../../staff/accounts.ts";
import type { CustomerReads, EnqueueOutcome, KeyValuePort } from "../../store/port.ts";
import { registerAssets } from "./assets.ts";
import { requireRole, staffAuth } from "./auth.ts";
import { registerChat } from "./chat.ts";
import { registerInbox } from "./inbox.ts";
import { isOpen } from "../../staff/hours.ts";
import { registerLive } from "./live.ts";
import { registerLogin } from "./login.ts";
import { startRoutingLoop } from "./routing-loop.ts";
import { registerSessionEnd } from "./session-end.ts";
import { registerTeam } from "./team.ts";

/**
 * The staff side on the web: sign-in, the inbox and chat pages under /staff, their
 * live connection, and the team API. One call from app.ts wires it.
 */
export interface StaffWebDeps {
  store: CustomerReads & KeyValuePort;
  ingest: (events: InboundEvent[]) => Promise<EnqueueOutcome[]>;
  bundle: () => Bundle;
  now: () => number;
  events: EventBus;
  config: Pick<Config, "staffApiToken" | "publicUrl" | "staff" | "whatsapp">;
}

/** the staff shell: its pages and the team API need the staff-auth plugin's requireRole */
const staffWeb = fp(
  async (staff: FastifyInstance, deps: StaffWebDeps) => {
    // forms post urlencoded; parsed only inside this plugin (another may parse it app-wide)
    if (!staff.hasContentTypeParser("application/x-www-form-urlencoded")) await staff.register(formbody, { bodyLimit: 64 * 1024 });
    await registerAssets(staff);
    await registerLogin(staff, deps.now);
    await registerSessionEnd(staff, deps.now);
    // a handoff written when the shop was closed counts as "out of hours" (src/staff/hours.ts)
    await registerInbox(staff, { ...deps, outOfHours: (at) => !isOpen(deps.bundle().shop.hours, at) });
    await registerTeam(staff, deps);
    const live = await registerLive(staff, { events: deps.events, kv: deps.store, store: deps.store });
    // open event streams would keep the server from closing
    staff.addHook("preClose", async () => live.closeAll());
    await registerChat(staff, { ...deps, ...(deps.config.whatsapp?.template ? { whatsappTemplate: deps.config.whatsapp.template.name } : {}) });
    // the team, for the owner (and scripts with the API token)
    staff.get("/api/staff", { preHandler: requireRole("owner") }, async () => ({
      staff: (await listStaffAccounts(deps.store)).map((a) => ({ login: a.login, role: a.role, createdAt: a.createdAt })),
    }));
  },
  { name: "staff-web", fastify: "5.x", dependencies: ["staff-auth"], encapsulate: true },
);

export async function registerStaffWeb(app: FastifyInstance, deps: StaffWebDeps): Promise<{ route: () => Promise<number> }> {
  const { staffApiToken: apiToken, publicUrl } = deps.config;
  await app.register(staffAuth, { kv: deps.store, trustProxy: deps.config.staff.trustProxy, ...(apiToken ? { apiToken } : {}), ...(publicUrl ? { publicUrl } : {}) });
  await app.register(staffWeb, deps);
  return startRoutingLoop(app, deps);
}
