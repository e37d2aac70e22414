import type { SendFailure } from "../../src/channel/port.ts";
import { transportFailure } from "../../adapters/shared/send-failure.ts";

/** The webhook body is JSON but not a WhatsApp Business Account envelope. */
export class WhatsAppPayloadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "WhatsAppPayloadError";
  }
}

/** The Graph error object (`{"error":{...}}`) as far as we rely on it. */
export interface GraphError {
  message?: string;
  type?: string;
  code?: number;
  error_subcode?: number;
  fbtrace_id?: string;
}

/**
 * A non-2xx answer from the Graph API. whatsapp-api-js only calls `.json()` on the
 * response, so the HTTP status would be lost (and a non-JSON 502 page would surface as
 * a SyntaxError); our fetch wrapper throws this instead, keeping status and headers.
 */
export class GraphHttpError extends Error {
  constructor(
    readonly status: number,
    readonly graph: GraphError | undefined,
    readonly retryAfterMs: number | undefined,
  ) {
    super(graph?.message ? `HTTP ${status}: ${graph.message}` : `HTTP ${status}`);
    this.name = "GraphHttpError";
  }
}

/** Throughput limits (W19, W20, W22): wait, then try again. */
const RATE_CODES = new Set([130429, 131056, 80007, 4, 613]);
/** Meta-side hiccups: "something went wrong", service unavailable, number being upgraded. */
const TRANSIENT_CODES = new Set([1, 2, 131000, 131016, 131057, 133004]);
/**
 * 131026 "message undeliverable": not a WhatsApp number, terms not accepted, client too
 * old, or the customer blocked us. Retrying does not help until the customer acts.
 * (131049 "not delivered to maintain healthy ecosystem engagement" is a per-message
 * marketing cap, not a dead customer: it stays permanent below.)
 */
const UNREACHABLE_CODES = new Set([131026]);
/** 131047: more than 24 h since the customer's last message (W21). */
const WINDOW_CODE = 131047;

function backoffFor(code: number | undefined): number {
  if (code === 131056) return 6_000; // pair rate: 1 message / 6 s to one user (W20)
  if (code === 4 || code === 80007) return 60_000; // hourly app / WABA quotas
  return 1_000;
}

/** Map a Graph error (thrown with an HTTP status, or returned in a 2xx body) onto SendFailure. */
export function mapGraphError(status: number | undefined, graph: GraphError | undefined, retryAfterMs?: number): SendFailure {
  const code = graph?.code;
  const message = `${graph?.message ?? "Graph API error"}${code !== undefined ? ` (code ${code}${graph?.error_subcode ? `/${graph.error_subcode}` : ""})` : ""}${status ? ` [HTTP ${status}]` : ""}`;
  if (status === 429 || (code !== undefined && RATE_CODES.has(code))) {
    return { kind: "rate_limited", retryAfterMs: retryAfterMs ?? backoffFor(code), message };
  }
  if (code === WINDOW_CODE) return { kind: "window_closed", message };
  if (code !== undefined && UNREACHABLE_CODES.has(code)) return { kind: "unreachable", message };
  if (code !== undefined && TRANSIENT_CODES.has(code)) return { kind: "transient", message };
  if (status !== undefined && status >= 500) return { kind: "transient", message };
  return { kind: "permanent", message };
}

/** Anything sendMessage threw: our GraphHttpError, a network failure, a timeout, a bad body. */
export function mapThrown(err: unknown): SendFailure {
  if (err instanceof GraphHttpError) return mapGraphError(err.status, err.graph, err.retryAfterMs);
  return transportFailure(err);
}
