import { createHmac } from "node:crypto";
import { sameBytes } from "../../src/http/secrets.ts";

/**
 * Non-ASCII characters as lowercase `\uXXXX`, one escape per UTF-16 code unit (so an
 * emoji becomes its surrogate pair). Meta signs this form of the payload (W3), and it
 * is what whatsapp-api-js hashes; a proxy that forwards the bytes as sent still
 * matches the raw form, so both are accepted.
 */
export function escapeUnicode(text: string): string {
  return text.replace(/[^\0-~]/g, (ch) => "\\u" + ch.charCodeAt(0).toString(16).padStart(4, "0"));
}

function hmac(secret: string, data: Buffer | string): Buffer {
  return createHmac("sha256", secret).update(data).digest();
}

/** `X-Hub-Signature-256: sha256=<hex>` checked in constant time against the raw body or its escaped form. */
export function verifyWhatsAppSignature(raw: Buffer, header: string | undefined, appSecret: string): boolean {
  if (!header) return false;
  const match = /^sha256=([0-9a-fA-F]{64})$/.exec(header.trim());
  if (!match?.[1]) return false;
  const given = Buffer.from(match[1], "hex");
  if (sameBytes(given, hmac(appSecret, raw))) return true;
  // Only bodies with non-ASCII bytes have a different escaped form.
  if (!raw.some((b) => b > 0x7e)) return false;
  return sameBytes(given, hmac(appSecret, escapeUnicode(raw.toString("utf8"))));
}
