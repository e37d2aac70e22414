import Fastify from "fastify";
import { createClient } from "redis";
import { BOT_TOKEN, confirmKeyboard, productKeyboard, requireEnv, SECRET_HEADER, WEBHOOK_PATH, WEBHOOK_SECRET } from "./common.ts";

/**
 * The floor: the least any Telegram webhook bot with state can do per message —
 * fastify parses the update, one Redis GET and one SET on a per-chat key, one
 * sendMessage to the Bot API (Node's fetch: keep-alive by default), then 200. The replies
 * follow the same 4-step script (buttons on steps 1 and 3) so the load is the same.
 */
interface Update {
  message?: { chat: { id: number }; text?: string };
  callback_query?: { message?: { chat: { id: number } }; from: { id: number }; data?: string };
}

const port = Number(requireEnv("PORT"));
const apiRoot = requireEnv("TELEGRAM_API_ROOT");
const redis = createClient({ url: requireEnv("REDIS_URL") });
await redis.connect();
const sendUrl = `${apiRoot}/bot${BOT_TOKEN}/sendMessage`;

const REPLIES = [
  { text: "Hello! Which bar would you like?", reply_markup: productKeyboard },
  { text: "How many?" },
  { text: "Place the order?", reply_markup: confirmKeyboard },
  { text: "Order placed. Thank you!" },
];

const app = Fastify({ logger: false });
app.get("/healthz", async () => ({ ok: true }));
app.post(WEBHOOK_PATH, async (req, reply) => {
  if (req.headers[SECRET_HEADER] !== WEBHOOK_SECRET) return reply.code(401).send();
  const u = req.body as Update;
  const chatId = u.message?.chat.id ?? u.callback_query?.message?.chat.id ?? u.callback_query?.from.id;
  if (chatId === undefined) return reply.code(200).send();
  const key = `floor:${chatId}`;
  const stored = Number((await redis.get(key)) ?? 0);
  const step = u.message?.text === "/start" ? 0 : stored;
  await redis.set(key, String(step + 1));
  const res = await fetch(sendUrl, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ chat_id: chatId, ...REPLIES[step % REPLIES.length] }),
  });
  await res.arrayBuffer();
  return reply.code(200).send();
});
await app.listen({ port, host: "127.0.0.1" });

process.on("SIGTERM", () => {
  void app.close().then(() => redis.quit()).finally(() => process.exit(0));
});
