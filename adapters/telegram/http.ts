import { Readable } from "node:stream";
import type { ApiClientOptions } from "grammy";
import { Agent, request } from "undici";

/**
 * The HTTP transport under grammY's API client. grammY speaks `fetch` and on Node
 * brings node-fetch over http.request, which with its abort-controller and header
 * shims was the largest single cost of sending a reply in `npm run bench`. undici's
 * request API (the engine of Node's own fetch, without the WHATWG layers) keeps
 * grammY's behaviour — payloads, errors, timeouts through the abort signal — and its
 * pooled keep-alive connections.
 *
 * grammY only reads `res.json()` of what fetch answers; the subset below is what
 * its client uses.
 */
type GrammyFetch = NonNullable<ApiClientOptions["fetch"]>;

interface FetchInit {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Uint8Array | NodeJS.ReadableStream | AsyncIterable<Uint8Array> | null;
  signal?: { aborted: boolean; addEventListener(type: "abort", listener: () => void): void } | null;
}

export function undiciFetch(opts: { connections?: number } = {}): GrammyFetch {
  const dispatcher = new Agent({ connections: opts.connections ?? 64, keepAliveTimeout: 30_000 });
  const fetchLike = async (input: string | URL, init: FetchInit = {}) => {
    const body = init.body;
    const res = await request(input, {
      method: (init.method ?? "GET") as "GET",
      headers: init.headers ?? {},
      // form-data uploads arrive as async iterables: undici wants a stream
      body: body && typeof body === "object" && Symbol.asyncIterator in body && !(body instanceof Readable) ? Readable.from(body) : (body as string | Uint8Array | Readable | null | undefined),
      ...(init.signal ? { signal: init.signal } : {}),
      dispatcher,
    });
    return {
      ok: res.statusCode >= 200 && res.statusCode < 300,
      status: res.statusCode,
      json: () => res.body.json(),
      text: () => res.body.text(),
    };
  };
  // grammY types the option as the DOM fetch; it calls it with (url, init) and reads json()
  return fetchLike as unknown as GrammyFetch;
}
