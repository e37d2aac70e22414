import type { FastifyInstance } from "fastify";
import { every } from "../../app/jobs.ts";
import { createRouter } from "../../staff/routing.ts";
import type { StaffWebDeps } from "./index.ts";

const ROUTING_EVERY_MS = 15_000;

/**
 * Offers waiting handoffs to staff (src/staff/routing.ts): every 15 s, and at once when
 * a new handoff is written rather than at the next pass. Stops with the server.
 */
export function startRoutingLoop(app: FastifyInstance, deps: StaffWebDeps): { route: () => Promise<number> } {
  const router = createRouter(deps, { maxOpenChats: deps.config.staff.maxOpenChats, offerAfterMs: deps.config.staff.offerAfterMinutes * 60_000 });
  const job = every("staff routing", ROUTING_EVERY_MS, () => router.run(), { log: app.log, failed: 0 });
  const unsubscribe = deps.events.subscribe((e) => {
    if (e.kind === "handoff" && e.touchpoint?.data?.queue !== undefined) void job.run();
  });
  app.addHook("onClose", async () => {
    unsubscribe();
    await job.stop();
  });
  return { route: () => job.run() };
}
