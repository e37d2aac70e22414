import formbody from "@fastify/formbody";
import type { FastifyInstance } from "fastify";
import type { Config } from "../../config.ts";
import type { Bundle } from "../../engine/bundle.ts";
import type { InboundEvent } from "../../model/inbound.ts";
import { listStaffAccounts } from "../../staff/accounts.ts";
import type { EnqueueOutcome, Store } from "../../store/port.ts";
import { registerAssets } from "./assets.ts";
import { decorateStaffAuth, requireRole } from "./auth.ts";
import { registerInbox } from "./inbox.ts";
import { registerLogin } from "./login.ts";

/**
 * The staff side on the web: sign-in, the inbox and chat pages under /staff, their
 * live connection, and the team API. One call from app.ts wires it.
 */
export interface StaffWebDeps {
  store: Store;
  ingest: (events: InboundEvent[]) => Promise<EnqueueOutcome[]>;
  bundle: () => Bundle;
  now: () => number;
  config: Pick<Config, "staffApiToken" | "publicUrl" | "staff" | "whatsapp">;
}

export async function registerStaffWeb(app: FastifyInstance, deps: StaffWebDeps): Promise<void> {
  decorateStaffAuth(app, {
    kv: deps.store,
    trustProxy: deps.config.staff.trustProxy,
    ...(deps.config.staffApiToken ? { apiToken: deps.config.staffApiToken } : {}),
    ...(deps.config.publicUrl ? { publicUrl: deps.config.publicUrl } : {}),
  });
  await app.register(async (staff) => {
    // forms post urlencoded; parsed only inside this plugin (another may parse it app-wide)
    if (!staff.hasContentTypeParser("application/x-www-form-urlencoded")) await staff.register(formbody, { bodyLimit: 64 * 1024 });
    await registerAssets(staff);
    await registerLogin(staff, deps.now);
    await registerInbox(staff, deps);

    // the team, for the owner (and scripts with the API token)
    staff.get("/api/staff", { preHandler: requireRole("owner") }, async () => ({
      staff: (await listStaffAccounts(deps.store)).map((a) => ({ login: a.login, role: a.role, createdAt: a.createdAt })),
    }));
  });
}
