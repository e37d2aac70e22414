import type { Channel } from "../../src/model/channel.ts";
import type { Contact } from "../../src/model/domain.ts";
import { vkEvent, vkMessageNew } from "../fakes/vk-api.ts";
import { dialogOf, maxBotStarted, maxCallback, maxContact, maxText, type FakeMaxSent } from "../fakes/max-api.ts";
import { signWhatsApp, waButtonReply, waListReply, waText, whatsappBatch, type WaObject } from "../fakes/whatsapp-api.ts";
import { MAX_SECRET, TG_SECRET, WA_SECRET, type Harness } from "./harness.ts";
import { maxReply, telegramReply, vkReply, webReply, whatsappReply, type Choice, type Obj, type PlatformReply, type Shape } from "./replies.ts";
import { contactByIdentity } from "./store.ts";

export type { Choice, PlatformReply, Shape } from "./replies.ts";

/**
 * A customer on one channel who reads the bot's replies in the platform's own format
 * (what the fake platform received) and answers the way that platform's app would:
 * a Telegram inline button sends its callback_data, a WhatsApp list row comes back as
 * list_reply and a reply button as button_reply, a VK keyboard button sends its label
 * with the {"b":…} payload, numbered text is answered with the digit. The harness's
 * drivers read replies in a flattened form; this reads the raw platform messages so
 * tests can check the format too.
 */

let maxTicks = 0;

/** MAX: the customer is their user id; replies go to their dialog with the bot (its own chat id) */
export const maxChatOf = (user: string): string => String(dialogOf(Number(user)));

/** Every reply this user got so far on the channel, in the order the platform received them. */
export async function platformReplies(h: Harness, channel: Channel, user: string): Promise<PlatformReply[]> {
  switch (channel) {
    case "telegram":
      return h.telegram.calls
        .filter((c) => (c.method === "sendMessage" || c.method === "sendPhoto") && String(c.params.chat_id) === user && c.status === 200)
        .map((c) => telegramReply(c.params));
    case "whatsapp":
      return successfulWhatsApp(h)
        .filter((b) => b.to === user)
        .map(whatsappReply);
    case "vk":
      return h.vk
        .delivered()
        .filter((d) => d.peerId === user)
        .map((d) => vkReply(d.text, d.keyboard, d.params));
    case "max":
      return h.max
        .sent()
        .filter((m) => m.chatId === maxChatOf(user))
        .map(maxReply);
    case "web": {
      const res = await h.app.http.inject({ method: "GET", url: "/webchat/api/messages?after=-1&wait=0", headers: { cookie: await h.webCookie(user) } });
      return (res.json() as { messages: Obj[] }).messages.map(webReply);
    }
  }
}

/**
 * WhatsApp message bodies the fake accepted. The fake records failed calls too and
 * answers its queued failures in call order (message sends and read receipts alike),
 * so the calls that got a failure are the next ones after armWhatsAppFailures.
 */
type GraphFailure = Parameters<Harness["whatsapp"]["failNext"]>[1];
const waFailed = new WeakMap<Harness, Map<number, GraphFailure>>();
function successfulWhatsApp(h: Harness): Obj[] {
  const failed = waFailed.get(h);
  return h.whatsapp.calls.filter((c, i) => !failed?.has(i) && c.body.status !== "read").map((c) => c.body as Obj);
}

/** fake.failNext, remembering which calls get the failures (queue all of them through here). */
export function armWhatsAppFailures(h: Harness, n: number, failure: GraphFailure): void {
  const failed = waFailed.get(h) ?? new Map<number, GraphFailure>();
  waFailed.set(h, failed);
  // failures still queued are answered first
  const start = Math.max(h.whatsapp.calls.length, ...[...failed.keys()].map((i) => i + 1));
  for (let i = 0; i < n; i++) failed.set(start + i, failure);
  h.whatsapp.failNext(n, failure);
}

/** the WhatsApp calls that were answered with a failure so far, with the failure */
export function failedWhatsAppCalls(h: Harness): { call: Harness["whatsapp"]["calls"][number]; failure: GraphFailure }[] {
  return [...(waFailed.get(h) ?? [])].filter(([i]) => i < h.whatsapp.calls.length).map(([i, failure]) => ({ call: h.whatsapp.calls[i]!, failure }));
}

/** What the customer does. */
export type Action =
  | { tap: string | RegExp }
  | { type: string }
  /** Telegram's / the web chat's share-my-phone button */
  | { sharePhone: string }
  | { start: string | null };

/** One webhook delivery, byte for byte, so it can be delivered twice. */
export interface Delivery {
  url: string;
  body: string;
  headers: Record<string, string>;
  /** a web-chat post: sent with this test user's session cookie */
  webUser?: string;
}

let nextId = 7_000_000;
const uid = () => ++nextId;

/** A message in the platform's webhook format. */
export function delivery(h: Harness, channel: Channel, user: string, m: { text?: string; button?: Choice & { list?: boolean }; phone?: string; source?: string }): Delivery {
  const now = h.clock.now();
  switch (channel) {
    case "telegram": {
      const id = uid();
      const from = { id: Number(user), is_bot: false, first_name: "Аристарх", language_code: "ru" };
      const chat = { id: Number(user), type: "private", first_name: "Аристарх" };
      const update = m.button
        ? { update_id: id, callback_query: { id: `cb${id}`, from, chat_instance: "42", data: m.button.id, message: { message_id: id - 1, date: Math.floor(now / 1000), chat } } }
        : {
            update_id: id,
            message: {
              message_id: id,
              date: Math.floor(now / 1000),
              from,
              chat,
              ...(m.phone ? { contact: { phone_number: m.phone, first_name: "Аристарх", user_id: Number(user) } } : {}),
              ...(m.source !== undefined ? { text: `/start ${m.source}`, entities: [{ type: "bot_command", offset: 0, length: 6 }] } : {}),
              ...(m.text !== undefined ? { text: m.text } : {}),
            },
          };
      return { url: "/webhooks/telegram", body: JSON.stringify(update), headers: { "content-type": "application/json", "x-telegram-bot-api-secret-token": TG_SECRET } };
    }
    case "whatsapp": {
      const o = { id: `wamid.HBgL${uid()}`, at: now, name: "Аристарх" };
      const msg: WaObject = m.button
        ? m.button.list
          ? waListReply(user, m.button.id, m.button.label, o)
          : waButtonReply(user, m.button.id, m.button.label, o)
        : waText(user, m.source ?? m.text ?? "", o);
      const body = JSON.stringify(whatsappBatch([msg]));
      return { url: "/webhooks/whatsapp", body, headers: { "content-type": "application/json", "x-hub-signature-256": signWhatsApp(body, WA_SECRET) } };
    }
    case "vk": {
      const id = uid();
      const object = vkMessageNew({
        peerId: Number(user),
        id,
        date: Math.floor(now / 1000),
        // a keyboard button sends its label as the text, with the payload
        text: m.button ? m.button.label : m.source !== undefined ? "Начать" : (m.text ?? ""),
        ...(m.button ? { payload: { b: m.button.id } } : {}),
        ...(m.source !== undefined ? { ref: m.source } : {}),
      });
      return { url: "/webhooks/vk", body: JSON.stringify(vkEvent("message_new", object, { eventId: `ev${id}` })), headers: { "content-type": "application/json" } };
    }
    case "max": {
      // a press of «Начать» has no id of its own, only its time: two presses are two times
      const o = { userId: Number(user), at: now + ++maxTicks };
      const update = m.button
        ? maxCallback({ ...o, payload: m.button.id })
        : m.phone
          ? maxContact({ ...o, phone: m.phone })
          : m.source !== undefined || m.text === "/start"
            ? maxBotStarted({ ...o, ...(m.source !== undefined ? { payload: m.source } : {}) })
            : maxText({ ...o, text: m.text ?? "" });
      return { url: "/webhooks/max", body: JSON.stringify(update), headers: { "content-type": "application/json", "x-max-bot-api-secret": MAX_SECRET } };
    }
    case "web": {
      const body = {
        id: `m${uid()}`,
        ...(m.button ? { buttonId: m.button.id } : {}),
        ...(m.phone ? { phone: m.phone } : {}),
        ...(m.source !== undefined ? { source: m.source, text: "/start" } : {}),
        ...(m.text !== undefined ? { text: m.text } : {}),
      };
      return { url: "/webchat/api/messages", body: JSON.stringify(body), headers: { "content-type": "application/json" }, webUser: user };
    }
  }
}

export async function deliver(h: Harness, d: Delivery): Promise<number> {
  const headers = d.webUser !== undefined ? { ...d.headers, cookie: await h.webCookie(d.webUser) } : d.headers;
  const res = await h.app.http.inject({ method: "POST", url: d.url, payload: d.body, headers });
  // Telegram runs a method the webhook answered with (answerCallbackQuery for a press)
  if (d.url === "/webhooks/telegram" && res.statusCode === 200) await h.telegram.webhookReply(res.body);
  return res.statusCode;
}

export class Customer {
  /** replies already seen by this customer */
  private seen = 0;
  /** the replies of the last action */
  last: PlatformReply[] = [];
  /** every webhook this customer's app delivered, in order */
  readonly sent: Delivery[] = [];

  constructor(
    readonly h: Harness,
    readonly channel: Channel,
    readonly user: string,
  ) {}

  get key(): string {
    return `${this.channel}:${this.channel === "max" ? maxChatOf(this.user) : this.user}`;
  }

  /** the conversation's key as the store has it (the web chat's is its server-issued session) */
  async conversationKey(): Promise<string> {
    return this.channel === "web" ? `web:${await this.h.platformUser("web", this.user)}` : this.key;
  }

  /** this customer's contact, found by their identity on the channel */
  async contact(): Promise<Contact | null> {
    return contactByIdentity(this.h.store, this.channel, await this.h.platformUser(this.channel, this.user));
  }

  async all(): Promise<PlatformReply[]> {
    return platformReplies(this.h, this.channel, this.user);
  }

  /** The choice with this label in the latest replies that offer choices. */
  async find(label: string | RegExp): Promise<{ choice: Choice; reply: PlatformReply }> {
    const all = await this.all();
    for (let i = all.length - 1; i >= 0; i--) {
      const reply = all[i]!;
      const choice = reply.choices.find((c) => (typeof label === "string" ? c.label.includes(label) : label.test(c.label)));
      if (choice) return { choice, reply };
    }
    throw new Error(`${this.key}: no choice matching ${label} in ${JSON.stringify(all.slice(-2).map((r) => [r.text.slice(0, 80), r.choices]))}`);
  }

  /** The webhook delivery this action is on the customer's platform. */
  async deliveryFor(action: Action): Promise<Delivery> {
    const { h, channel, user } = this;
    if ("start" in action) {
      if (action.start === null) return delivery(h, channel, user, channel === "vk" ? { text: "Начать" } : { text: "/start" });
      return delivery(h, channel, user, { source: action.start });
    }
    if ("type" in action) return delivery(h, channel, user, { text: action.type });
    if ("sharePhone" in action) return delivery(h, channel, user, { phone: action.sharePhone });
    const { choice, reply } = await this.find(action.tap);
    // numbered text: the customer types the digit
    if (reply.shape === "numbered") return delivery(h, channel, user, { text: choice.id });
    return delivery(h, channel, user, { button: { ...choice, list: reply.shape === "wa_list" } });
  }

  /** Do it, wait until everything is processed and sent, return the new replies. */
  async do(action: Action): Promise<PlatformReply[]> {
    const d = await this.deliveryFor(action);
    return this.send(d);
  }

  async send(d: Delivery): Promise<PlatformReply[]> {
    await this.catchUp();
    this.sent.push(d);
    const status = await deliver(this.h, d);
    if (status >= 300) throw new Error(`${this.key}: webhook answered ${status}`);
    await this.h.app.idle();
    return this.catchUp();
  }

  /** replies that arrived since the last look (staff answers, timers) */
  async catchUp(): Promise<PlatformReply[]> {
    const all = await this.all();
    this.last = all.slice(this.seen);
    this.seen = all.length;
    return this.last;
  }

  tap(label: string | RegExp) {
    return this.do({ tap: label });
  }
  type(text: string) {
    return this.do({ type: text });
  }
}

/** Where a reply breaks the platform's documented limits (docs/limits.md). */
export function formatProblems(r: PlatformReply): string[] {
  const p: string[] = [];
  const bad = (cond: boolean, what: string) => {
    if (cond) p.push(`${r.channel} ${r.shape} "${r.text.slice(0, 40)}": ${what}`);
  };
  const raw = r.raw as Obj;
  switch (r.shape) {
    case "tg_inline":
      for (const c of r.choices) {
        const bytes = Buffer.byteLength(c.id, "utf8");
        bad(bytes < 1 || bytes > 64, `callback_data ${c.id} is ${bytes} bytes (T11: 1–64)`);
      }
      bad(r.text.length > (raw.photo ? 1024 : 4096), "text too long (T10)");
      break;
    case "tg_share_phone":
      bad((raw.reply_markup as Obj).keyboard?.[0]?.[0]?.request_contact !== true, "share-phone keyboard without request_contact");
      break;
    case "wa_buttons": {
      const titles = r.choices.map((c) => c.label);
      bad(titles.length < 1 || titles.length > 3, `${titles.length} reply buttons (W15: ≤ 3)`);
      bad(titles.some((t) => t.length > 20), "button title > 20 (W15)");
      bad(new Set(titles).size !== titles.length, "button titles not unique (W15)");
      bad(r.choices.some((c) => c.id.length > 256), "button id > 256 (W15)");
      bad(r.text.length > 1024, "body > 1024 (W15)");
      break;
    }
    case "wa_list": {
      const i = raw.interactive as Obj;
      bad(r.choices.length < 4 || r.choices.length > 10, `${r.choices.length} list rows (≤ 3 go as buttons; W16: ≤ 10)`);
      bad(r.choices.some((c) => c.label.length > 24), "row title > 24 (W16)");
      bad(r.choices.some((c) => c.id.length > 200), "row id > 200 (W16)");
      bad(String(i.action.button ?? "").length < 1 || String(i.action.button).length > 20, "list button label not 1–20 (W16)");
      bad(r.text.length > 4096, "body > 4096 (W16)");
      break;
    }
    case "vk_keyboard": {
      const kb = (raw.keyboard ? JSON.parse(String(raw.keyboard)) : {}) as Obj;
      const rows = (kb.buttons ?? []) as Obj[][];
      const n = rows.flat().length;
      const max = kb.inline ? { rows: 6, perRow: 5, total: 10 } : { rows: 10, perRow: 5, total: 40 };
      bad(n > max.total || rows.length > max.rows || rows.some((row) => row.length > max.perRow), "keyboard too big (V11/V12)");
      for (const b of rows.flat()) {
        bad(String(b.action.label).length > 40, "label > 40 (V13)");
        bad(String(b.action.payload).length > 255, "payload > 255 (V13)");
        const payload = JSON.parse(String(b.action.payload)) as Obj;
        bad(typeof payload.b !== "string", `payload ${b.action.payload} is not {"b": id}`);
      }
      bad(!raw.random_id || raw.random_id === "0", "messages.send without random_id (V9)");
      break;
    }
    case "max_inline":
    case "max_share_phone": {
      const kb = ((raw.attachments as Obj[]).find((a) => a.type === "inline_keyboard")?.payload?.buttons ?? []) as Obj[][];
      bad(kb.length > 30 || kb.flat().length > 210, "keyboard too big (M11: 30 rows, 210 buttons)");
      for (const row of kb) {
        const wide = row.some((b) => b.type === "request_contact");
        bad(row.length > (wide ? 3 : 7), `${row.length} buttons in a row (M11: 7, 3 with request_contact)`);
      }
      for (const c of r.choices) bad(c.id.length < 1 || c.id.length > 1024, `payload ${c.id} (M13: 1–1024)`);
      bad(r.text.length > 4000, "text > 4000 (M10)");
      bad(r.shape === "max_share_phone" && !kb.flat().some((b) => b.type === "request_contact"), "share-phone without request_contact");
      break;
    }
    case "text":
    case "numbered":
      bad(r.text.trim() === "" && !r.photoUrl, "empty message");
      bad(r.channel === "telegram" && r.text.length > 4096, "text > 4096 (T10)");
      bad(r.channel === "whatsapp" && r.text.length > 4096, "text > 4096 (W14)");
      bad(r.channel === "vk" && r.text.length > 9000, "text > 9000 (V10)");
      bad(r.channel === "max" && r.text.length > 4000, "text > 4000 (M10)");
      break;
    default:
      break;
  }
  return p;
}

/** How WhatsApp must show n choices: reply buttons, a list, or numbered text. */
export function whatsappShapeFor(n: number): Shape {
  if (n === 0) return "text";
  if (n <= 3) return "wa_buttons";
  if (n <= 10) return "wa_list";
  return "numbered";
}
