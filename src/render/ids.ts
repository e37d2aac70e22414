import { createHash } from "node:crypto";

/**
 * Button ids travel through the platform and come back (Telegram callback_data ≤ 64
 * bytes, WhatsApp ≤ 256/200, VK payload ≤ 255). An id over the limit is replaced by
 * "~" + a hash prefix; the engine recognises it by hashing the choices it offered, so
 * no mapping table has to be stored or shared between instances.
 */
const HASH_CHARS = 16;

function digest(id: string): string {
  return createHash("sha256").update(id).digest("base64url");
}

export function fitId(id: string, maxBytes: number): string {
  if (Buffer.byteLength(id, "utf8") <= maxBytes) return id;
  return `~${digest(id).slice(0, Math.max(4, Math.min(HASH_CHARS, maxBytes - 1)))}`;
}

/** Does `received` (as it came back from a platform) stand for `choiceId`? */
export function matchesId(choiceId: string, received: string): boolean {
  if (choiceId === received) return true;
  if (!received.startsWith("~") || received.length < 5) return false;
  return digest(choiceId).startsWith(received.slice(1));
}
