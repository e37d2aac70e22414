import { APIError } from "vk-io";
import type { SendFailure } from "../../src/channel/port.ts";
import { transportFailure } from "../../adapters/shared/send-failure.ts";

/** A reply that is neither {response} nor {error}: a proxy page, a 5xx with a JSON body. */
export class VkTransportError extends Error {
  override readonly name = "VkTransportError";
}

/** Codes from VK-schema errors.json (V17). */
const RATE_LIMITED: Record<number, number> = {
  6: 1000, // too many requests per second
  9: 3000, // flood control: same text too often, back off longer
  29: 1000, // method rate limit
};
/** permission to message was withdrawn, the user blocked the community or is gone */
const UNREACHABLE = new Set([7, 15, 18, 901, 902]);
/** VK's own trouble: 1 unknown error ("try again later"), 10 internal server error */
const TRANSIENT = new Set([1, 10]);

/** VK API / transport errors → the sender's vocabulary (src/channel/port.ts). */
export function toSendFailure(err: unknown): SendFailure {
  if (err instanceof APIError) {
    const code = Number(err.code);
    const message = err.message;
    const wait = RATE_LIMITED[code];
    if (wait !== undefined) return { kind: "rate_limited", retryAfterMs: wait, message };
    if (UNREACHABLE.has(code)) return { kind: "unreachable", message };
    if (TRANSIENT.has(code)) return { kind: "transient", message };
    // 100 bad parameter, 911 keyboard invalid, 914 too long, 5 bad token, …
    return { kind: "permanent", message };
  }
  // node-fetch FetchError (refused, reset), AbortError (apiTimeout), a non-JSON body
  // (SyntaxError: an HTTP 5xx page) or VkTransportError: all worth another try;
  // random_id makes the retry safe even if VK did deliver.
  return transportFailure(err);
}
