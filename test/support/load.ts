import type { FakeTelegram } from "../fakes/telegram-api.ts";

/**
 * Scripted Telegram customers for tests against service processes: updates in the Bot
 * API's format posted to POST /webhooks/telegram, and a "platform" that redelivers
 * what was not acknowledged with 2xx, the way Telegram does (same update_id).
 */

export const TG_SECRET = "s3cret";
export const STAFF_TOKEN = "load-test-staff-token-0123456789abcdef";

export interface TgUpdate {
  update_id: number;
  message: {
    message_id: number;
    date: number;
    from: { id: number; is_bot: false; first_name: string; language_code: string };
    chat: { id: number; type: "private"; first_name: string };
    text: string;
  };
}

/** a private-chat text message (chat id = user id, as in Telegram) */
export function textUpdate(updateId: number, chatId: number, text: string): TgUpdate {
  return {
    update_id: updateId,
    message: {
      message_id: updateId,
      date: Math.floor(Date.now() / 1000),
      from: { id: chatId, is_bot: false, first_name: "Покупатель", language_code: "ru" },
      chat: { id: chatId, type: "private", first_name: "Покупатель" },
      text,
    },
  };
}

/** POST one update; the HTTP status, or 0 when the connection failed or timed out */
export async function postUpdate(base: string, update: TgUpdate, timeoutMs = 20_000): Promise<number> {
  try {
    const res = await fetch(`${base}/webhooks/telegram`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-telegram-bot-api-secret-token": TG_SECRET },
      body: JSON.stringify(update),
      signal: AbortSignal.timeout(timeoutMs),
    });
    await res.arrayBuffer();
    return res.status;
  } catch {
    return 0;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Telegram's side of a webhook: deliver until a 2xx, retrying after errors and
 * timeouts with the same update_id. `target` picks the instance per attempt.
 * Returns the statuses of all attempts (the last is the 2xx).
 */
export async function deliver(
  target: () => string,
  update: TgUpdate,
  opts: { deadlineMs?: number; retryMs?: number; onFailure?: (status: number) => void } = {},
): Promise<number[]> {
  const deadline = Date.now() + (opts.deadlineMs ?? 45_000);
  const statuses: number[] = [];
  for (;;) {
    const status = await postUpdate(target(), update);
    statuses.push(status);
    if (status >= 200 && status < 300) return statuses;
    opts.onFailure?.(status);
    if (Date.now() > deadline) throw new Error(`update ${update.update_id} not acknowledged: ${statuses.join(",")}`);
    await sleep(opts.retryMs ?? 200);
  }
}

/** run `fn` over `items` with at most `concurrency` in flight */
export async function pool<T, R>(items: readonly T[], concurrency: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  const lane = async () => {
    for (;;) {
      const i = next++;
      if (i >= items.length) return;
      out[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, lane));
  return out;
}

/** poll `check` until it is true; throws with `describe()` after `timeoutMs` */
export async function waitUntil(check: () => boolean | Promise<boolean>, timeoutMs: number, describe: () => string, everyMs = 100): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms: ${describe()}`);
    await sleep(everyMs);
  }
}

/** texts the fake Bot API accepted (sendMessage answered 200), per chat id, in arrival order */
export function repliesByChat(fake: FakeTelegram): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const c of fake.calls) {
    if (c.method !== "sendMessage" || c.status !== 200) continue;
    const chat = String(c.params.chat_id);
    const list = out.get(chat) ?? [];
    list.push(String(c.params.text ?? ""));
    out.set(chat, list);
  }
  return out;
}

/** GET a staff API path with the bearer token; the parsed JSON */
export async function staffGet<T>(base: string, path: string): Promise<T> {
  const res = await fetch(base + path, { headers: { authorization: `Bearer ${STAFF_TOKEN}` } });
  if (res.status !== 200) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}
