import { createHash, timingSafeEqual } from "node:crypto";

const digest = (s: string): Buffer => createHash("sha256").update(s).digest();

/**
 * The one secret comparison every route uses (webhook secrets, verify tokens, the
 * staff token): digests are compared, so neither the content nor the length of the
 * secret leaks through timing. A missing or empty expected secret matches nothing.
 */
export function sameSecret(given: unknown, expected: string | undefined): boolean {
  if (expected === undefined || expected === "" || typeof given !== "string") return false;
  return timingSafeEqual(digest(given), digest(expected));
}

/** Two digests (HMACs) of equal length, compared in constant time; different lengths never match. */
export function sameBytes(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The token of an `Authorization: Bearer <token>` header; the scheme is case-insensitive (RFC 7235). */
export function bearerToken(header: string | undefined): string | undefined {
  const m = /^bearer[ \t]+(\S+)[ \t]*$/i.exec(header ?? "");
  return m?.[1];
}
