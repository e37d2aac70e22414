import { conversations, createConversation, type Conversation, type ConversationFlavor } from "@grammyjs/conversations";
import { RedisAdapter } from "@grammyjs/storage-redis";
import Fastify from "fastify";
import { Bot, webhookCallback, type Context } from "grammy";
import { createClient } from "redis";
import { BOT_INFO, BOT_TOKEN, confirmKeyboard, PRODUCTS, productKeyboard, requireEnv, WEBHOOK_PATH, WEBHOOK_SECRET } from "./common.ts";

/**
 * What a shop would build instead of front desk: a plain grammY bot whose order
 * conversation is written with @grammyjs/conversations v2, its state kept in Redis
 * through @grammyjs/storage-redis, served by grammY's webhookCallback on fastify.
 *
 * RedisAdapter is typed for ioredis, which is not installed; it only ever calls
 * get(key), set(key, value) (no TTL given) and del(key), which node-redis 5 has with
 * the same arguments and results, so the adapter runs on the project's node-redis
 * client unchanged.
 */
type Ctx = ConversationFlavor<Context>;
type OrderConversation = Conversation<Ctx, Context>;

const port = Number(requireEnv("PORT"));
const apiRoot = requireEnv("TELEGRAM_API_ROOT");
const redis = createClient({ url: requireEnv("REDIS_URL") });
await redis.connect();

const bot = new Bot<Ctx>(BOT_TOKEN, { botInfo: BOT_INFO, client: { apiRoot } });

/** The same 4 messages as bench/flows: /start → product → "12" → confirm. */
async function order(conversation: OrderConversation, ctx: Context): Promise<void> {
  await ctx.reply("Hello! Which bar would you like?", { reply_markup: productKeyboard });
  const picked = await conversation.waitForCallbackQuery(
    PRODUCTS.map((p) => p.id),
    { otherwise: (c) => c.reply("Tap a button, please.") },
  );
  await picked.answerCallbackQuery();
  const product = PRODUCTS.find((p) => p.id === picked.callbackQuery.data)!;
  await picked.reply(`${product.title} — how many?`);

  let qty = 0;
  let asked: Context = picked;
  while (!(qty >= 1 && qty <= 200)) {
    asked = await conversation.waitFor(":text");
    qty = Math.floor(Number(asked.message?.text));
    if (!(qty >= 1 && qty <= 200)) await asked.reply("Please write a number from 1 to 200.");
  }
  const total = qty * product.price;
  await asked.reply(`• ${product.title} × ${qty} — ${total} ₽\nTotal: ${total} ₽. Place the order?`, {
    reply_markup: confirmKeyboard,
  });

  const confirmed = await conversation.waitForCallbackQuery("confirm", {
    otherwise: (c) => c.reply("Tap Confirm, please."),
  });
  await confirmed.answerCallbackQuery();
  const chatId = confirmed.chatId;
  // the order itself: a shop keeps it somewhere; here one counter and one hash in the same Redis
  const number = await conversation.external(async () => {
    const n = await redis.incr("shop:order:seq");
    await redis.hSet(`shop:order:${n}`, { chat: String(chatId), product: product.id, qty: String(qty), total: String(total) });
    return n;
  });
  await confirmed.reply(`Order #${number} placed, ${total} ₽. Thank you!`);
}

bot.use(conversations<Ctx, Context>({ storage: new RedisAdapter({ instance: redis }) }));
bot.use(createConversation(order, "order"));
bot.command("start", (ctx) => ctx.conversation.enter("order"));

const app = Fastify({ logger: false });
app.get("/healthz", async () => ({ ok: true }));
app.post(WEBHOOK_PATH, webhookCallback(bot, "fastify", { secretToken: WEBHOOK_SECRET }));
await app.listen({ port, host: "127.0.0.1" });

process.on("SIGTERM", () => {
  void app.close().then(() => redis.quit()).finally(() => process.exit(0));
});
