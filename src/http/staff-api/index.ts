import type { FastifyInstance } from "fastify";
import { apiSchemas, apiToken } from "../api-plugins.ts";
import { contactsApi } from "./contacts.ts";
import { conversationsApi } from "./conversations.ts";
import { deadLettersApi } from "./dead-letters.ts";
import type { StaffApiDeps } from "./deps.ts";
import { ordersApi } from "./orders.ts";
import { outboxApi } from "./outbox.ts";

export type { StaffApiDeps } from "./deps.ts";

/**
 * The staff and owner HTTP API under /api (bearer STAFF_API_TOKEN), one plugin per
 * resource in one encapsulated scope: the inbox of handed-off chats, replying, taking
 * and handing back; contacts and offline touchpoints; order statuses; held replies;
 * dead letters. The reports are in src/http/reports/. Anything that changes a
 * conversation goes through its queue as an event, so it is ordered with the
 * customer's own messages.
 */
export async function registerStaffApi(app: FastifyInstance, deps: StaffApiDeps): Promise<void> {
  await app.register(async (api) => {
    await api.register(apiSchemas);
    await api.register(apiToken, { token: deps.token });
    for (const resource of [conversationsApi, contactsApi, ordersApi, outboxApi, deadLettersApi]) await api.register(resource, deps);
  });
}
