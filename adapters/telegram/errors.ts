import { GrammyError, HttpError } from "grammy";
import type { SendFailure } from "../../src/channel/port.ts";
import { failureByStatus } from "../../adapters/shared/send-failure.ts";
import { RenderError } from "./render.ts";

/** Bot API / transport errors → the sender's vocabulary (see src/channel/port.ts). */
export function toSendFailure(err: unknown): SendFailure {
  if (err instanceof GrammyError) {
    const message = `${err.method}: ${err.error_code} ${err.description}`;
    // T18: retry_after is in seconds; without it wait a second rather than hammer.
    // 403: "bot was blocked by the user", "user is deactivated", "bot can't initiate conversation"
    const seconds = err.parameters.retry_after ?? 1;
    return failureByStatus(err.error_code, message, Math.max(0, seconds) * 1000);
  }
  // fetch failed, connection refused, timed out, or a non-JSON body (proxy error page)
  if (err instanceof HttpError) return { kind: "transient", message: `${err.message} ${redact(err.error)}`.trim() };
  if (err instanceof RenderError) return { kind: "permanent", message: err.message };
  return { kind: "transient", message: err instanceof Error ? err.message : String(err) };
}

/** For logs: grammY errors without the token-bearing URL of the inner fetch error. */
export function describeError(err: unknown): string {
  return toSendFailure(err).message;
}

/** the inner fetch error names the URL, and the URL holds the bot token */
function redact(inner: unknown): string {
  const text = inner instanceof Error ? inner.message : "";
  return text.replace(/\/bot[^/\s]+\//g, "/bot<token>/");
}
