import { FAKE_BOT_INFO } from "../../test/fakes/telegram-api.ts";

/**
 * What the bench parent and its target processes agree on: the bot's token and
 * webhook secret, the bot's identity (so no target needs getMe), and the texts of
 * the baselines' 4-message order conversation (the same as bench/flows, in English).
 */
export const BOT_TOKEN = "7012345678:bench-token";
export const WEBHOOK_SECRET = "bench_webhook_secret";
export const WEBHOOK_PATH = "/webhooks/telegram";
export const SECRET_HEADER = "x-telegram-bot-api-secret-token";
export const BOT_INFO = FAKE_BOT_INFO;

export const PRODUCTS = [
  { id: "bar_choco", title: "Chocolate brownie bar", price: 149 },
  { id: "bar_vanilla", title: "Vanilla cheesecake bar", price: 149 },
  { id: "bar_peanut", title: "Peanut caramel bar", price: 159 },
] as const;

export const productKeyboard = {
  inline_keyboard: PRODUCTS.map((p) => [{ text: p.title, callback_data: p.id }]),
};
export const confirmKeyboard = {
  inline_keyboard: [[{ text: "Confirm", callback_data: "confirm" }], [{ text: "Talk to a person", callback_data: "person" }]],
};

export function requireEnv(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
}
