import type { FastifyRequest } from "fastify";

/** What the staff routes read off a request: cookies, the scheme, the client, our own origin. */
export function cookieValue(req: FastifyRequest, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? "").split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) {
      try {
        return decodeURIComponent(part.slice(eq + 1).trim());
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

/** https directly, or through a proxy we were told to trust */
export function isHttps(req: FastifyRequest, opts: { trustProxy: boolean }): boolean {
  if (opts.trustProxy) {
    const forwarded = String(req.headers["x-forwarded-proto"] ?? "").split(",")[0]?.trim().toLowerCase();
    if (forwarded) return forwarded === "https";
  }
  return req.protocol === "https";
}

/** the origin the request was made to: "https://shop.example" */
export function requestOrigin(req: FastifyRequest, opts: { trustProxy: boolean }): string {
  return `${isHttps(req, opts) ? "https" : "http"}://${req.headers.host ?? ""}`;
}

/** the client's address: the last hop a trusted proxy saw, else the socket's peer */
export function clientAddress(req: FastifyRequest, opts: { trustProxy: boolean }): string {
  if (opts.trustProxy) {
    const hops = String(req.headers["x-forwarded-for"] ?? "").split(",").map((s) => s.trim()).filter(Boolean);
    if (hops.length > 0) return hops[hops.length - 1]!;
  }
  return req.socket.remoteAddress ?? "unknown";
}

/** a URL's origin, or undefined for none or a malformed one */
export function safeOrigin(url: string | undefined): string | undefined {
  try {
    return url ? new URL(url).origin : undefined;
  } catch {
    return undefined;
  }
}
