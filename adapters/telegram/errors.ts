import { GrammyError, HttpError } from "grammy";
import type { SendFailure } from "../../src/channel/port.ts";
import { RenderError } from "./render.ts";

/** Bot API / transport errors → the sender's vocabulary (see src/channel/port.ts). */
export function toSendFailure(err: unknown): SendFailure {
  if (err instanceof GrammyError) {
    const message = `${err.method}: ${err.error_code} ${err.description}`;
    const code = err.error_code;
    if (code === 429) {
      // T18: retry_after is in seconds; without it wait a second rather than hammer
      const seconds = err.parameters.retry_after ?? 1;
      return { kind: "rate_limited", retryAfterMs: Math.max(0, seconds) * 1000, message };
    }
    // "bot was blocked by the user", "user is deactivated", "bot can't initiate conversation"
    if (code === 403) return { kind: "unreachable", message };
    if (code >= 400 && code < 500) return { kind: "permanent", message };
    return { kind: "transient", message };
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
