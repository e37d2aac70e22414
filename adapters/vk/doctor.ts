import { APIError } from "vk-io";
import { z } from "zod";
import type { DoctorCheck } from "../../src/cli/doctor-check.ts";
import type { VkConfig } from "./config.ts";
import { VkApi } from "./api.ts";
import { VK_WEBHOOK_PATH } from "./webhook.ts";

/**
 * `frontdesk doctor` for VK, asked of the VK API: whose community the token is
 * (groups.getById must name VK_GROUP_ID) and whether the Callback API server at our
 * address is confirmed (groups.getCallbackServers: status ok).
 */
export interface VkDoctorConfig {
  vk?: VkConfig;
  publicUrl?: string;
}

const Group = z.object({ id: z.number(), name: z.string(), screen_name: z.string().optional() });
/** 5.199 answers {groups, profiles}; older versions a bare array */
const GetByIdReply = z.union([z.object({ groups: z.array(Group) }), z.array(Group).transform((groups) => ({ groups }))]);
const ServersReply = z.object({
  count: z.number(),
  items: z.array(z.object({ id: z.number(), url: z.string(), status: z.string() })),
});

/** VK's "no right for this": a token without the manage scope cannot list servers */
const ACCESS_CODES = new Set([15, 27]);

export async function doctorChecks(config: VkDoctorConfig): Promise<DoctorCheck[]> {
  const vk = config.vk;
  if (!vk) return [];
  const api = new VkApi({ token: vk.token, apiBase: vk.apiBase, timeoutMs: 10_000 });
  try {
    const out: DoctorCheck[] = [];
    const name = "VK: community token";
    let group: z.infer<typeof Group> | undefined;
    try {
      group = GetByIdReply.parse(await api.call("groups.getById", {})).groups[0];
    } catch (err) {
      out.push({
        name,
        ok: false,
        detail: `VK answered: ${platformText(err)}`,
        fix:
          err instanceof APIError
            ? "create the token again: the community → Manage → API usage → Access tokens (with messages access), put it in VK_GROUP_TOKEN in .env"
            : `check that this machine reaches ${vk.apiBase}`,
      });
      return out;
    }
    if (!group) {
      out.push({ name, ok: false, detail: "VK named no community for this token", fix: "use a community token (Manage → API usage), not a user token" });
      return out;
    }
    if (group.id !== vk.groupId) {
      out.push({ name, ok: false, detail: `the token belongs to «${group.name}» (${group.id}), but VK_GROUP_ID is ${vk.groupId}`, fix: `set VK_GROUP_ID=${group.id} in .env, or use the token of community ${vk.groupId}` });
      return out;
    }
    out.push({ name, ok: true, detail: `accepted: «${group.name}» (club${group.id})` });
    out.push(await callbackCheck(api, vk, config.publicUrl));
    return out;
  } finally {
    api.close();
  }
}

async function callbackCheck(api: VkApi, vk: VkConfig, publicUrl: string | undefined): Promise<DoctorCheck> {
  const name = "VK: Callback API server";
  const console = "the community → Manage → API usage → Callback API";
  let servers: z.infer<typeof ServersReply>;
  try {
    servers = ServersReply.parse(await api.call("groups.getCallbackServers", { group_id: vk.groupId }));
  } catch (err) {
    if (err instanceof APIError && ACCESS_CODES.has(Number(err.code))) {
      return { name, ok: true, detail: `VK does not tell this token (no manage right: ${platformText(err)}); check in ${console} that the status is «OK»` };
    }
    return { name, ok: false, detail: `VK answered: ${platformText(err)}`, fix: "run npx frontdesk doctor again; if it persists, check the network to VK" };
  }
  const expected = publicUrl && /^https:\/\//.test(publicUrl) ? `${publicUrl.replace(/\/+$/, "")}${VK_WEBHOOK_PATH}` : undefined;
  const ours = servers.items.filter((s) => (expected ? s.url === expected : s.url.endsWith(VK_WEBHOOK_PATH)));
  const addFix = `${console} → Add server: URL ${expected ?? `https://<your host>${VK_WEBHOOK_PATH}`}, secret key = VK_CALLBACK_SECRET from .env, API version 5.199`;
  if (ours.length === 0) {
    const seen = servers.items.map((s) => s.url).join(", ");
    return { name, ok: false, detail: `no server at ${expected ?? `…${VK_WEBHOOK_PATH}`}${seen ? ` (VK has: ${seen})` : " (VK has none)"}`, fix: addFix };
  }
  const ok = ours.find((s) => s.status === "ok");
  if (ok) return { name, ok: true, detail: `${ok.url}: confirmed (status ok)` };
  const s = ours[0]!;
  const why: Record<string, string> = {
    unconfigured: "not confirmed yet",
    wait: "VK is waiting for the confirmation",
    failed: "VK could not confirm it (the service did not answer VK_CONFIRMATION_CODE)",
  };
  return {
    name,
    ok: false,
    detail: `${s.url}: ${why[s.status] ?? `status ${s.status}`}`,
    fix: `start the service with VK_CONFIRMATION_CODE set to the string ${console} shows, then press «Confirm» there`,
  };
}

/** VK's own words: "Code №5 - User authorization failed: invalid access_token (4)." */
function platformText(err: unknown): string {
  if (err instanceof APIError) return err.message;
  return err instanceof Error ? err.message.replace(/access_token=[^&\s]+/g, "access_token=<token>") : String(err);
}
