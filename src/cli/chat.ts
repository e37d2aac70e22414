import { createInterface } from "node:readline";
import type { Command } from "commander";
import { BundleError } from "../engine/bundle.ts";
import { CHANNELS, type Channel } from "../model/channel.ts";
import type { OrderStatusName } from "../model/inbound.ts";
import type { ChatSession } from "./chat-session.ts";
import { describeSpan, indentBot } from "./chat-view.ts";
import { fail } from "./common.ts";

/**
 * `frontdesk chat`: talk to the shop's flows in the terminal, as a customer on one
 * channel, before restarting the shop with an edit to flows/. Works typed or piped
 * (`printf 'привет\n1\n' | npx frontdesk chat`): lines are handled one by one.
 */
const ORDER_STATUSES: OrderStatusName[] = ["confirmed", "shipped", "delivered", "cancelled"];

const HELP = [
  "Пишите как покупатель; номер или текст кнопки нажимает её. / Write as a customer; a button's number or label presses it.",
  "  /wait 2h | 30m | 12d | 2w   перевести часы: сработают напоминания, отзыв, повтор / move the clock: timers fire",
  "  /deliver                    отметить последний заказ доставленным (за ним — вопрос об отзыве) / mark the last order delivered",
  `  /order <status>             статус последнего заказа: ${ORDER_STATUSES.join(", ")}`,
  "  /phone +79161234567         поделиться телефоном / share a phone number",
  "  /start src_gym_flyer        прийти по ссылке с меткой / arrive through a tagged link",
  "  /state                      этапы, баланс, шаг, таймеры / stages, balance, step, timers",
  "  /help, /quit",
].join("\n");

export function registerChatCommand(program: Command): void {
  program
    .command("chat")
    .description("talk to the shop's flows in the terminal (real engine, throwaway store; /wait moves the clock)")
    .option("--channel <channel>", `render replies as this channel does: ${CHANNELS.join(", ")}`, "telegram")
    .option("--flows-dir <dir>", "the flows to try (default: FLOWS_DIR or ./flows)")
    .action(async (opts: { channel: string; flowsDir?: string }) => {
      if (!(CHANNELS as readonly string[]).includes(opts.channel)) fail(`--channel: one of ${CHANNELS.join(", ")}`, 2);
      await runChat(opts.channel as Channel, opts.flowsDir ?? process.env.FLOWS_DIR ?? "./flows");
    });
}

async function runChat(channel: Channel, flowsDir: string): Promise<void> {
  let session: ChatSession;
  try {
    // the whole service loads only for this command
    const { ChatSession } = await import("./chat-session.ts");
    session = await ChatSession.open({ channel, flowsDir });
  } catch (err) {
    if (err instanceof BundleError) fail(`${err.message}\nRun: npx frontdesk flows check --dir ${flowsDir}`, 1);
    throw err;
  }
  const tty = Boolean(process.stdin.isTTY);
  const out = (s: string) => process.stdout.write(`${s}\n`);
  let closing = false;
  const close = async () => {
    if (closing) return;
    closing = true;
    await session.close();
  };
  process.once("SIGINT", () => void close().then(() => process.exit(130)));

  out(`${channel}: ${flowsDir} — сценарии магазина, временное хранилище (удалится при выходе). /help — команды.`);
  const rl = createInterface({ input: process.stdin, output: process.stdout, terminal: tty, prompt: "вы › " });
  // Ctrl+C on a terminal reaches readline, not the process: end the loop, clean up
  rl.on("SIGINT", () => rl.close());
  if (tty) rl.prompt();
  try {
    for await (const raw of rl) {
      const line = raw.trim();
      if (!tty && line) out(`вы › ${line}`);
      if (line === "/quit" || line === "/exit") break;
      for (const block of await handle(session, line)) out(block);
      if (tty) rl.prompt();
    }
  } finally {
    rl.close();
    await close();
  }
}

async function handle(session: ChatSession, line: string): Promise<string[]> {
  const bot = (replies: string[]) => (replies.length ? replies.map((r) => indentBot(r.split("\n"))) : ["      (бот молчит / no reply)"]);
  if (!line) return [];
  if (line === "/help") return [HELP];
  if (line === "/state") return [(await session.state()).join("\n")];
  const wait = /^\/wait(?:\s+(.*))?$/.exec(line);
  if (wait) {
    const r = await session.wait(wait[1] ?? "");
    if (!r) return ["/wait 2h, /wait 30m, /wait 12d, /wait 2w"];
    const moved = `⏩ +${describeSpan(r.movedMs)}: ${new Date(session.now).toLocaleString("ru-RU", { dateStyle: "short", timeStyle: "short" })}`;
    return [moved, ...(r.replies.length ? bot(r.replies) : ["      (ничего не сработало / nothing was due)"])];
  }
  const order = /^\/(deliver|order)(?:\s+(\S+))?$/.exec(line);
  if (order) {
    const status = (order[1] === "deliver" ? "delivered" : order[2]) as OrderStatusName | undefined;
    if (!status || !(ORDER_STATUSES as readonly string[]).includes(status)) return [`/order ${ORDER_STATUSES.join(" | ")}`];
    const r = await session.orderStatus(status);
    if (!r.orderNumber) return ["заказов ещё нет / no order yet"];
    return [`✔ заказ №${r.orderNumber}: ${status}`, ...(r.replies.length ? bot(r.replies) : [])];
  }
  const phone = /^\/phone\s+(\+?[\d\s()-]{6,})$/.exec(line);
  if (phone) return bot(await session.sharePhone(phone[1]!));
  return bot(await session.say(line));
}
