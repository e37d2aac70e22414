import http from "node:http";
import https from "node:https";
import { setTimeout as sleep } from "node:timers/promises";
import { APIError, APIRequest, VK } from "vk-io";
import { z } from "zod";
import { VkTransportError } from "./errors.ts";

/**
 * One VK API call per request, with vk-io doing the protocol (form-encoded POST to
 * `${apiBaseUrl}/${method}` with access_token and v, apiTimeout) and this class
 * doing the pacing.
 *
 * Why not `vk.api.messages.send(...)`: vk-io's sequential worker re-queues a
 * request that got error 6 ("too many requests") forever and retries network
 * errors itself (apiRetryLimit, apiWait). The outbox sender owns retries and
 * backoff and must see the error, so requests go through APIRequest.make() here
 * and come back as APIError / network errors exactly once.
 */
export interface VkApiOptions {
  token: string;
  apiBase: string;
  /** requests per second for this process (V16: 20 for a community token) */
  apiLimit?: number;
  timeoutMs?: number;
}

export type VkParams = Record<string, string | number | undefined>;

const ErrorReplySchema = z.object({
  error: z.object({
    error_code: z.coerce.number().int(),
    error_msg: z.string().catch(""),
    request_params: z.array(z.object({ key: z.string(), value: z.string() })).catch([]),
  }),
});

export class VkApi {
  readonly vk: VK;
  private readonly agent: http.Agent;
  private readonly intervalMs: number;
  private nextSlot = 0;

  constructor(opts: VkApiOptions) {
    const apiLimit = opts.apiLimit ?? 20;
    this.intervalMs = Math.ceil(1000 / apiLimit);
    this.agent = opts.apiBase.startsWith("http:") ? new http.Agent({ keepAlive: true }) : new https.Agent({ keepAlive: true });
    this.vk = new VK({
      token: opts.token,
      apiBaseUrl: opts.apiBase.replace(/\/+$/, ""),
      apiLimit,
      apiMode: "sequential",
      apiRetryLimit: 0,
      apiTimeout: opts.timeoutMs ?? 10_000,
      // vk-io defaults to https.globalAgent, which node-fetch refuses for an http:// base
      // (local fakes, proxies); node-fetch takes any http.Agent, vk-io's type says https only
      agent: this.agent as https.Agent,
    });
  }

  /** Resolves with `response`; rejects with vk-io's APIError, a fetch error or VkTransportError. */
  async call(method: string, params: VkParams): Promise<unknown> {
    await this.pace();
    const defined = Object.fromEntries(Object.entries(params).filter(([, v]) => v !== undefined));
    const raw: unknown = await new APIRequest({ api: this.vk.api, method, params: defined }).make();
    const failed = ErrorReplySchema.safeParse(raw);
    if (failed.success) throw new APIError(failed.data.error);
    if (typeof raw !== "object" || raw === null || !("response" in raw)) {
      throw new VkTransportError(`${method}: unexpected reply from VK`);
    }
    return raw.response;
  }

  /** drops kept-alive sockets (shutdown) */
  close(): void {
    this.agent.destroy();
  }

  /** Spaces request starts evenly instead of bursting into VK's per-second limit. */
  private async pace(): Promise<void> {
    const now = Date.now();
    const slot = Math.max(now, this.nextSlot);
    this.nextSlot = slot + this.intervalMs;
    if (slot > now) await sleep(slot - now);
  }
}
