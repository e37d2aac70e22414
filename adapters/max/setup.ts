import type { MaxConfig } from "./config.ts";
import { maxApi } from "./client.ts";
import { UPDATE_TYPES } from "./parse.ts";

export const MAX_WEBHOOK_ROUTE = "/webhooks/max";

/**
 * Subscribes https://<host>/webhooks/max with the secret and the update types the
 * adapter reads (POST /subscriptions, M2). MAX keeps several subscriptions side by side
 * rather than replacing them, so older ones for another URL of this bot are removed.
 * Answers what it removed.
 */
export async function setMaxWebhook(config: MaxConfig, baseUrl: string): Promise<{ url: string; removed: string[] }> {
  if (!config.webhookSecret) throw new Error("MAX_WEBHOOK_SECRET is required to set a webhook");
  const url = `${baseUrl.replace(/\/+$/, "")}${MAX_WEBHOOK_ROUTE}`;
  if (!/^https:\/\//.test(url)) throw new Error(`MAX delivers webhooks over HTTPS only: ${url}`);
  const api = maxApi(config.token, config.apiBase, 30_000);
  const done = await api.subscribe(url, config.webhookSecret, [...UPDATE_TYPES]);
  if (done.success === false) throw new Error(`MAX refused the subscription: ${done.message ?? "no reason given"}`);
  const removed: string[] = [];
  for (const s of (await api.getSubscriptions()) ?? []) {
    if (s.url !== url && s.url.endsWith(MAX_WEBHOOK_ROUTE)) {
      await api.unsubscribe(s.url);
      removed.push(s.url);
    }
  }
  return { url, removed };
}
