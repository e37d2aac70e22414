import type { MaxConfig } from "./config.ts";
import { maxApi } from "./client.ts";
import { describeError } from "./errors.ts";
import { UPDATE_TYPES } from "./parse.ts";
import { MAX_WEBHOOK_ROUTE } from "./setup.ts";

/** what `frontdesk doctor` prints per check (structural; the doctor command owns the type) */
export interface DoctorCheck {
  name: string;
  ok: boolean;
  detail: string;
  fix?: string;
}

/**
 * MAX checks for `frontdesk doctor`: the token is accepted (GET /me), and in webhook
 * mode a subscription to /webhooks/max with every update type the adapter reads exists
 * (in polling mode: none exists, since an active subscription stops long polling, M7).
 */
export async function doctorChecks(config: { max?: MaxConfig; publicUrl?: string }): Promise<DoctorCheck[]> {
  const max = config.max;
  if (!max) return [{ name: "MAX", ok: true, detail: "off (MAX_BOT_TOKEN is not set)" }];
  const api = maxApi(max.token, max.apiBase, 10_000);
  const checks: DoctorCheck[] = [];
  try {
    const me = await api.getMyInfo();
    checks.push({ name: "MAX token", ok: true, detail: `accepted: the bot is @${me.username ?? me.user_id} (${me.first_name ?? me.name})` });
  } catch (err) {
    checks.push({
      name: "MAX token",
      ok: false,
      detail: `GET /me failed: ${describeError(err)}`,
      fix: "copy the token again from business.max.ru → Чат-боты → ⋮ → Настройки into MAX_BOT_TOKEN; check MAX_API_BASE",
    });
    return checks;
  }
  try {
    const subs = (await api.getSubscriptions()) ?? [];
    const ours = subs.filter((s) => s.url.endsWith(MAX_WEBHOOK_ROUTE));
    if (max.mode === "polling") {
      checks.push(
        subs.length === 0
          ? { name: "MAX updates", ok: true, detail: "long polling; no webhook subscription in the way" }
          : { name: "MAX updates", ok: false, detail: `long polling, but ${subs.length} webhook subscription(s) exist and MAX then sends nothing to polling: ${subs.map((s) => s.url).join(", ")}`, fix: "remove them, or set MAX_MODE=webhook and run `npx frontdesk max set-webhook --url …`" },
      );
      return checks;
    }
    const sub = ours.find((s) => !config.publicUrl || s.url.startsWith(config.publicUrl.replace(/\/+$/, "")));
    const missing = sub ? UPDATE_TYPES.filter((t) => (sub.updateTypes ?? []).length > 0 && !(sub.updateTypes ?? []).includes(t)) : [];
    checks.push(
      !sub
        ? { name: "MAX webhook", ok: false, detail: `no subscription to ${MAX_WEBHOOK_ROUTE}${subs.length ? ` (found: ${subs.map((s) => s.url).join(", ")})` : ""}`, fix: "npx frontdesk max set-webhook --url https://<your host>" }
        : missing.length > 0
          ? { name: "MAX webhook", ok: false, detail: `${sub.url} misses update types ${missing.join(", ")}`, fix: "npx frontdesk max set-webhook --url … again" }
          : { name: "MAX webhook", ok: true, detail: `subscribed: ${sub.url}` },
    );
  } catch (err) {
    checks.push({ name: "MAX webhook", ok: false, detail: `GET /subscriptions failed: ${describeError(err)}` });
  }
  return checks;
}
