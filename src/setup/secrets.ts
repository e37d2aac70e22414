import { randomBytes } from "node:crypto";

/**
 * Fresh secrets for a new shop: URL-safe base64 (A-Z a-z 0-9 _ -), which every
 * platform accepts (Telegram's secret_token rule is the narrowest) and a .env holds
 * without quoting. 24 random bytes = 32 characters; the staff API token gets 32 bytes.
 */
export function secret(bytes = 24): string {
  return randomBytes(bytes).toString("base64url");
}

export interface ShopSecrets {
  TELEGRAM_WEBHOOK_SECRET: string;
  WHATSAPP_VERIFY_TOKEN: string;
  VK_CALLBACK_SECRET: string;
  STAFF_API_TOKEN: string;
}

export function newShopSecrets(): ShopSecrets {
  return {
    TELEGRAM_WEBHOOK_SECRET: secret(),
    WHATSAPP_VERIFY_TOKEN: secret(),
    VK_CALLBACK_SECRET: secret(),
    STAFF_API_TOKEN: secret(32),
  };
}

/** a password an owner can type: 16 characters without look-alikes (0/O, 1/l/I) */
export function newPassword(length = 16): string {
  const alphabet = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
  const bytes = randomBytes(length * 2);
  let out = "";
  // rejection sampling keeps every character equally likely
  for (const b of bytes) {
    if (b >= 256 - (256 % alphabet.length)) continue;
    out += alphabet[b % alphabet.length];
    if (out.length === length) return out;
  }
  return out + newPassword(length - out.length);
}
