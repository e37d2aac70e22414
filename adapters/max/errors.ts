import { MaxError } from "@maxhub/max-bot-api";
import type { SendFailure } from "../../src/channel/port.ts";
import { RenderError } from "./render.ts";

/** M17: MAX answers 429 without a documented wait; a second keeps us under 30 rps. */
const DEFAULT_RETRY_MS = 1000;

/**
 * MAX Bot API / transport errors → the sender's vocabulary (docs/limits.md M16-M18):
 * 429 waits, 5xx and network failures retry, 403 (the customer blocked the bot or
 * never opened it) and a dialog that no longer exists are unreachable, other 4xx
 * are the request's own fault.
 */
export function toSendFailure(err: unknown): SendFailure {
  if (err instanceof MaxError) {
    const message = `${err.status} ${err.code}: ${err.description}`;
    const status = err.status;
    if (status === 429) return { kind: "rate_limited", retryAfterMs: DEFAULT_RETRY_MS, message };
    if (status === 403) return { kind: "unreachable", message };
    if (status === 404 && /chat|user|dialog/i.test(`${err.code} ${err.description}`)) return { kind: "unreachable", message };
    // attachment.not.ready after the SDK's own retries: the upload may finish yet
    if (err.code === "attachment.not.ready") return { kind: "transient", message };
    if (status >= 400 && status < 500) return { kind: "permanent", message };
    return { kind: "transient", message };
  }
  if (err instanceof RenderError) return { kind: "permanent", message: err.message };
  // fetch failed, connection refused, our timeout (AbortError / TimeoutError)
  return { kind: "transient", message: err instanceof Error ? `${err.name}: ${err.message}` : String(err) };
}

/** for logs: never the token (the SDK sends it in a header, not the URL, so messages are safe) */
export function describeError(err: unknown): string {
  return toSendFailure(err).message;
}
