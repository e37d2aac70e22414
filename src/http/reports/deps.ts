import type { Bundle } from "../../engine/bundle.ts";
import type { Store } from "../../store/port.ts";
import type { FastifyReply, FastifyRequest } from "fastify";

/** what the report routes and pages need from the app */
export interface ReportDeps {
  store: Store;
  bundle: () => Bundle;
  now: () => number;
  /** STAFF_API_TOKEN: a bearer with it reads every report */
  token: string | undefined;
  /**
   * the staff session check for the owner and viewer roles (the staff shell's
   * requireRole("owner", "viewer")); without it only the bearer token opens the API
   */
  sessionGuard?: (req: FastifyRequest, reply: FastifyReply) => Promise<unknown>;
  /** deep links for the owner's sources (the app's link builder, per channel that is on) */
  links?: (payload: string) => { channel: string; url: string }[];
}
