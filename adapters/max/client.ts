import { Bot, type Api, type FetchFn } from "@maxhub/max-bot-api";

/**
 * The SDK's own API client pointed at MAX_API_BASE (a local fake in tests). Its
 * `fetch` is Node's, with a deadline on every call that does not bring its own signal:
 * the SDK sets none, and a hung request would stall the sender's slot.
 */
export function maxApi(token: string, baseUrl: string, timeoutMs = 15_000): Api {
  const fetchWithDeadline: FetchFn = (input, init = {}) =>
    globalThis.fetch(input, { ...init, signal: init.signal ?? AbortSignal.timeout(timeoutMs) });
  // the Bot only builds the client here; its own polling and webhook server are never started
  return new Bot(token, { clientOptions: { baseUrl: `${baseUrl.replace(/\/+$/, "")}/`, fetch: fetchWithDeadline } }).api;
}
