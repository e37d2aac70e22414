import { MaxError } from "@maxhub/max-bot-api";
import type { SendFailure } from "../../src/channel/port.ts";
import { failureByStatus, transportFailure } from "../../adapters/shared/send-failure.ts";
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
    if (status === 404 && /chat|user|dialog/i.test(`${err.code} ${err.description}`)) return { kind: "unreachable", message };
    // attachment.not.ready (a 400) after the SDK's own retries: the upload may finish yet
    if (err.code === "attachment.not.ready" && status !== 429 && status !== 403) return { kind: "transient", message };
    return failureByStatus(status, message, DEFAULT_RETRY_MS);
  }
  if (err instanceof RenderError) return { kind: "permanent", message: err.message };
  // fetch failed, connection refused, our timeout (AbortError / TimeoutError)
  return transportFailure(err);
}

/** for logs: never the token (the SDK sends it in a header, not the URL, so messages are safe) */
export function describeError(err: unknown): string {
  return toSendFailure(err).message;
}
