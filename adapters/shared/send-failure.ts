import type { SendFailure } from "../../src/channel/port.ts";

/**
 * A platform's HTTP error status → the sender's vocabulary (src/channel/port.ts), for
 * the Bot APIs that speak in statuses (Telegram, MAX): 429 waits `retryAfterMs`, 403
 * is a customer who blocked the bot or never opened it, any other 4xx is the request's
 * own fault, 5xx (and anything else) is worth another try. What a platform means by a
 * particular code is its own errors.ts's business, checked before this.
 */
export function failureByStatus(status: number, message: string, retryAfterMs: number): SendFailure {
  if (status === 429) return { kind: "rate_limited", retryAfterMs, message };
  if (status === 403) return { kind: "unreachable", message };
  if (status >= 400 && status < 500) return { kind: "permanent", message };
  return { kind: "transient", message };
}

/** Anything thrown that is not the platform's answer (refused, reset, timed out, a non-JSON page): try again. */
export function transportFailure(err: unknown): SendFailure {
  return { kind: "transient", message: err instanceof Error ? `${err.name}: ${err.message}` : String(err) };
}
