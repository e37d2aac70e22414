import { Agent, request } from "node:http";
import { performance } from "node:perf_hooks";
import type { FakeTelegram } from "../test/fakes/telegram-api.ts";
import { BOT_INFO, SECRET_HEADER, WEBHOOK_PATH, WEBHOOK_SECRET } from "./targets/common.ts";

/**
 * The load: scripted customers, `customers` at once, each playing the 4-message order
 * conversation against a target's Telegram webhook and waiting for the bot's reply
 * (as seen at the fake Bot API) before answering. Every conversation is a new chat,
 * so no chat ever outruns Telegram's per-chat limit. Replies are counted at the fake;
 * latency is the reply's arrival there minus the start of the webhook POST.
 */
export interface LoadOptions {
  /** http://127.0.0.1:<port> of the target */
  baseUrl: string;
  fake: FakeTelegram;
  customers: number;
  /** measuring starts once this many conversations completed and warmupSeconds passed (the JIT settles) */
  warmupConversations: number;
  warmupSeconds: number;
  seconds: number;
  /** first chat id; each target gets its own range */
  chatBase: number;
  replyTimeoutMs?: number;
  /** called when the measured window opens and when it closes (CPU time sampling) */
  onWindow?: (phase: "start" | "end") => void;
}

export interface LoadResult {
  /** customer messages whose reply arrived inside the window */
  messages: number;
  windowMs: number;
  msgsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** conversations whose last reply arrived inside the window */
  conversations: number;
  /** of those, how many ended with an order number in the reply */
  orders: number;
  /** answerCallbackQuery calls seen during the whole run */
  callbackAnswers: number;
  /** customer messages the webhook accepted during the whole run (warm-up included) */
  sent: number;
  /** per second of the window: replies and the slowest of them (stalls show here) */
  timeline: { replies: number; maxMs: number }[];
  /** how long the webhook took to answer (the 2xx), in the window */
  ack: { p50Ms: number; p99Ms: number; maxMs: number };
  /** latency by the conversation's message: /start, product, "12", confirm */
  bySteps: { p50Ms: number; p99Ms: number; maxMs: number }[];
  errors: { http: number; timeouts: number; script: number; stray: number };
}

interface Reply {
  text: string;
  buttons: string[];
  at: number;
}

const ORDER_RE = /(#|№)\s*[\w-]+/;

export async function runLoad(opts: LoadOptions): Promise<LoadResult> {
  const { fake } = opts;
  const replyTimeoutMs = opts.replyTimeoutMs ?? 10_000;
  const url = new URL(WEBHOOK_PATH, opts.baseUrl);
  const agent = new Agent({ keepAlive: true, maxSockets: opts.customers + 8 });
  const waiters = new Map<number, (r: Reply) => void>();
  const errors = { http: 0, timeouts: 0, script: 0, stray: 0 };
  let callbackAnswers = 0;
  let sent = 0;
  let nextMessageId = 1;

  const onReply = (params: Record<string, unknown>) => {
    const at = performance.now();
    const chatId = Number(params.chat_id);
    const reply: Reply = { text: String(params.text ?? params.caption ?? ""), buttons: buttonsOf(params.reply_markup), at };
    const w = waiters.get(chatId);
    if (w) {
      waiters.delete(chatId);
      w(reply);
    } else {
      errors.stray++;
    }
    return {
      message_id: nextMessageId++,
      from: { id: BOT_INFO.id, is_bot: true, first_name: BOT_INFO.first_name, username: BOT_INFO.username },
      chat: { id: chatId, type: "private", first_name: "Bench" },
      date: Math.floor(Date.now() / 1000),
      text: reply.text,
      ...(params.reply_markup ? { reply_markup: params.reply_markup } : {}),
    };
  };
  fake.on("sendMessage", onReply);
  fake.on("sendPhoto", onReply);
  fake.on("answerCallbackQuery", () => {
    callbackAnswers++;
    return true;
  });

  let updateId = 1;
  const post = (body: string): Promise<number> =>
    new Promise((resolve, reject) => {
      const req = request(
        url,
        {
          method: "POST",
          agent,
          headers: {
            "content-type": "application/json",
            "content-length": Buffer.byteLength(body),
            [SECRET_HEADER]: WEBHOOK_SECRET,
          },
        },
        (res) => {
          // Telegram runs a method the webhook answered with (answerCallbackQuery for a press)
          let reply = "";
          res.setEncoding("utf8");
          res.on("data", (chunk: string) => (reply += chunk));
          res.on("end", () => {
            const status = res.statusCode ?? 0;
            if (status === 200 && reply !== "") fake.webhookReply(reply).then(() => resolve(status), reject);
            else resolve(status);
          });
          res.on("error", reject);
        },
      );
      req.on("error", reject);
      req.end(body);
    });

  // ---- measurement window ---------------------------------------------------------
  let windowStart = Number.POSITIVE_INFINITY;
  let windowEnd = Number.POSITIVE_INFINITY;
  let stopping = false;
  const latencies: number[] = [];
  const timeline: { replies: number; maxMs: number }[] = [];
  const stepLatencies: number[][] = [];
  const acks: number[] = [];
  let conversationsInWindow = 0;
  let ordersInWindow = 0;
  let completed = 0;
  const inWindow = (t: number) => t >= windowStart && t < windowEnd;
  let warmedUp: () => void = () => {};
  const warm = new Promise<void>((r) => (warmedUp = r));

  /** one customer message and the bot's one reply to it */
  const exchange = async (chatId: number, stepNo: number, update: Record<string, unknown>): Promise<Reply> => {
    const replied = new Promise<Reply>((resolve, reject) => {
      const timer = setTimeout(() => {
        waiters.delete(chatId);
        reject(new TimeoutError());
      }, replyTimeoutMs);
      waiters.set(chatId, (r) => {
        clearTimeout(timer);
        resolve(r);
      });
    });
    replied.catch(() => {}); // a timeout while the POST is still out is handled below, not unhandled
    const body = JSON.stringify({ update_id: updateId++, ...update });
    const t0 = performance.now();
    const status = await post(body).catch(() => 0);
    const acked = performance.now();
    if (inWindow(acked)) acks.push(acked - t0);
    if (status !== 200) {
      errors.http++;
      waiters.delete(chatId);
      throw new ScriptError(`webhook answered ${status}`);
    }
    sent++;
    const reply = await replied;
    if (inWindow(reply.at)) {
      latencies.push(reply.at - t0);
      (stepLatencies[stepNo] ??= []).push(reply.at - t0);
      const slot = (timeline[Math.floor((reply.at - windowStart) / 1000)] ??= { replies: 0, maxMs: 0 });
      slot.replies++;
      slot.maxMs = Math.max(slot.maxMs, reply.at - t0);
    }
    return reply;
  };

  const customer = async (index: number) => {
    for (let round = 0; !stopping; round++) {
      const chatId = opts.chatBase + round * opts.customers + index;
      const user = { id: chatId, is_bot: false, first_name: "Bench", language_code: "en" };
      const chat = { id: chatId, type: "private", first_name: "Bench" };
      const message = (text: string) => ({
        message: {
          message_id: nextMessageId++,
          from: user,
          chat,
          date: Math.floor(Date.now() / 1000),
          text,
          ...(text.startsWith("/") ? { entities: [{ type: "bot_command", offset: 0, length: text.length }] } : {}),
        },
      });
      const press = (data: string, text: string) => ({
        callback_query: {
          id: `${chatId}${nextMessageId++}`,
          from: user,
          message: { message_id: nextMessageId++, from: { id: BOT_INFO.id, is_bot: true, first_name: BOT_INFO.first_name }, chat, date: Math.floor(Date.now() / 1000), text },
          chat_instance: String(chatId),
          data,
        },
      });
      try {
        const greeting = await exchange(chatId, 0, message("/start"));
        const product = greeting.buttons[chatId % Math.max(1, greeting.buttons.length)];
        if (!product) throw new ScriptError("no product buttons in the greeting");
        await exchange(chatId, 1, press(product, greeting.text));
        const confirm = await exchange(chatId, 2, message("12"));
        if (!confirm.buttons.includes("confirm")) throw new ScriptError(`no confirm button in "${confirm.text}"`);
        const placed = await exchange(chatId, 3, press("confirm", confirm.text));
        if (inWindow(placed.at)) {
          conversationsInWindow++;
          if (ORDER_RE.test(placed.text)) ordersInWindow++;
        }
        if (++completed >= opts.warmupConversations && performance.now() - started >= opts.warmupSeconds * 1000) warmedUp();
      } catch (err) {
        if (err instanceof TimeoutError) errors.timeouts++;
        else errors.script++;
        if (errors.script + errors.timeouts + errors.http > 50 + completed) {
          throw new Error(`the target fails: ${(err as Error).message}`);
        }
      }
    }
  };

  const started = performance.now();
  const runners = Array.from({ length: opts.customers }, (_, i) => customer(i));
  const failed = Promise.race(runners.map((r) => r.then(() => new Promise<never>(() => {}))));
  failed.catch(() => {}); // observed by the races below; a late failure must not crash the parent
  await Promise.race([warm, failed, sleep(60_000 + opts.warmupSeconds * 1000).then(() => Promise.reject(new Error("warm-up did not finish")))]);
  opts.onWindow?.("start");
  windowStart = performance.now();
  windowEnd = windowStart + opts.seconds * 1000;
  await Promise.race([sleep(opts.seconds * 1000), failed]);
  opts.onWindow?.("end");
  stopping = true;
  await Promise.race([Promise.allSettled(runners), sleep(replyTimeoutMs + 1000)]);
  agent.destroy();

  const windowMs = windowEnd - windowStart;
  latencies.sort((a, b) => a - b);
  return {
    messages: latencies.length,
    windowMs,
    msgsPerSecond: latencies.length / (windowMs / 1000),
    p50Ms: quantile(latencies, 0.5),
    p99Ms: quantile(latencies, 0.99),
    maxMs: latencies[latencies.length - 1] ?? Number.NaN,
    conversations: conversationsInWindow,
    orders: ordersInWindow,
    callbackAnswers,
    sent,
    ack: (() => {
      acks.sort((a, b) => a - b);
      return { p50Ms: quantile(acks, 0.5), p99Ms: quantile(acks, 0.99), maxMs: acks[acks.length - 1] ?? Number.NaN };
    })(),
    bySteps: [0, 1, 2, 3].map((i) => {
      const xs = (stepLatencies[i] ?? []).sort((a, b) => a - b);
      return { p50Ms: quantile(xs, 0.5), p99Ms: quantile(xs, 0.99), maxMs: xs[xs.length - 1] ?? Number.NaN };
    }),
    timeline: Array.from({ length: Math.ceil(windowMs / 1000) }, (_, i) => timeline[i] ?? { replies: 0, maxMs: 0 }),
    errors,
  };
}

class TimeoutError extends Error {}
class ScriptError extends Error {}

function buttonsOf(markup: unknown): string[] {
  if (typeof markup !== "object" || markup === null || !("inline_keyboard" in markup)) return [];
  const rows = (markup as { inline_keyboard: unknown }).inline_keyboard;
  if (!Array.isArray(rows)) return [];
  const out: string[] = [];
  for (const row of rows) {
    if (!Array.isArray(row)) continue;
    for (const b of row) {
      const data = (b as { callback_data?: unknown }).callback_data;
      if (typeof data === "string") out.push(data);
    }
  }
  return out;
}

/** nearest-rank quantile of a sorted array */
export function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms).unref());
}
