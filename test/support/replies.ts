import type { Channel } from "../../src/model/channel.ts";
import type { FakeMaxSent } from "../fakes/max-api.ts";

/**
 * The one decoder of platform replies: what a fake platform (or the web chat's API)
 * received, read as the customer's app shows it — text, the shape of its choices and
 * what each sends back. The harness's drivers (harness.ts) and Customer (customer.ts)
 * both read replies through it.
 */

export interface Choice {
  /** what goes back to the platform: callback_data, row/button id, payload b, or the digit for numbered text */
  id: string;
  label: string;
}

export type Shape =
  | "text"
  | "tg_inline"
  | "tg_share_phone"
  | "wa_buttons"
  | "wa_list"
  | "wa_template"
  | "vk_keyboard"
  | "web_buttons"
  | "web_list"
  /** MAX inline keyboard of callback buttons */
  | "max_inline"
  /** MAX request_contact button (alone or under the choices) */
  | "max_share_phone"
  /** choices as "1. …" lines, answered with a digit */
  | "numbered";

export interface PlatformReply {
  channel: Channel;
  text: string;
  shape: Shape;
  choices: Choice[];
  photoUrl?: string;
  /** a share-my-phone button is shown (Telegram's reply keyboard, MAX's request_contact, the web chat's) */
  askPhone?: true;
  /** exactly what the platform (or the web chat page) received */
  raw: Record<string, unknown>;
}

const NUMBERED_LINE = /^(\d{1,2})\. (.+?)(?: — .*)?$/;

/**
 * "1. Каталог\n2. Цены" at the end of a text: choices answered with the digit; a score
 * scale ("0 · 1 · … · 10") is answered with the score itself.
 */
function numbered(text: string): Choice[] {
  const tail = text.split("\n\n").at(-1) ?? "";
  if (/^\d{1,2}( · \d{1,2})+$/.test(tail)) return tail.split(" · ").map((n) => ({ id: n, label: n }));
  const lines = tail.split("\n");
  const out: Choice[] = [];
  for (const [i, line] of lines.entries()) {
    const m = NUMBERED_LINE.exec(line);
    if (!m || Number(m[1]) !== i + 1) return [];
    out.push({ id: m[1]!, label: m[2]! });
  }
  return out;
}

function plain(channel: Channel, text: string, raw: Record<string, unknown>, photoUrl?: string): PlatformReply {
  const choices = numbered(text);
  return { channel, text, shape: choices.length > 0 ? "numbered" : "text", choices, raw, ...(photoUrl ? { photoUrl } : {}) };
}

export type Obj = Record<string, any>;

export function telegramReply(params: Obj): PlatformReply {
  const text = String(params.text ?? params.caption ?? "");
  const photo = typeof params.photo === "string" ? params.photo : undefined;
  const markup = params.reply_markup as Obj | undefined;
  if (markup?.inline_keyboard) {
    const choices = (markup.inline_keyboard as Obj[][]).flat().map((b) => ({ id: String(b.callback_data), label: String(b.text) }));
    return { channel: "telegram", text, shape: "tg_inline", choices, raw: params, ...(photo ? { photoUrl: photo } : {}) };
  }
  if (markup?.keyboard) return { channel: "telegram", text, shape: "tg_share_phone", choices: [], raw: params, askPhone: true };
  return plain("telegram", text, params, photo);
}

/** a WhatsApp image by link, or by the media id of an upload (shown as media:<id>) */
function imageOf(image: Obj | undefined): string | undefined {
  if (image?.link) return String(image.link);
  return image?.id ? `media:${image.id}` : undefined;
}

export function whatsappReply(body: Obj): PlatformReply {
  if (body.type === "interactive") {
    const i = body.interactive as Obj;
    const text = String(i.body?.text ?? "");
    const photo = i.header?.type === "image" ? imageOf(i.header.image) : undefined;
    if (i.type === "button") {
      const choices = (i.action.buttons as Obj[]).map((b) => ({ id: String(b.reply.id), label: String(b.reply.title) }));
      return { channel: "whatsapp", text, shape: "wa_buttons", choices, raw: body, ...(photo ? { photoUrl: photo } : {}) };
    }
    const choices = (i.action.sections as Obj[]).flatMap((s) => (s.rows as Obj[]).map((r) => ({ id: String(r.id), label: String(r.title) })));
    return { channel: "whatsapp", text, shape: "wa_list", choices, raw: body };
  }
  if (body.type === "template") return { channel: "whatsapp", text: `[template ${body.template?.name}]`, shape: "wa_template", choices: [], raw: body };
  if (body.type === "image") return plain("whatsapp", String(body.image?.caption ?? ""), body, imageOf(body.image));
  return plain("whatsapp", String(body.text?.body ?? ""), body);
}

export function vkReply(text: string, keyboard: unknown, raw: Obj): PlatformReply {
  const kb = keyboard as { buttons?: { action: { label: string; payload?: string } }[][] } | undefined;
  const buttons = (kb?.buttons ?? []).flat();
  // an uploaded photo rides as attachment photo<owner>_<id>
  const photo = String(raw.attachment ?? "").split(",").find((a) => a.startsWith("photo"));
  if (buttons.length > 0) {
    const choices = buttons.map((b) => ({ id: String((JSON.parse(b.action.payload ?? "{}") as Obj).b), label: b.action.label }));
    return { channel: "vk", text, shape: "vk_keyboard", choices, raw, ...(photo ? { photoUrl: photo } : {}) };
  }
  return plain("vk", text, raw, photo);
}

export function webReply(m: Obj): PlatformReply {
  const reply = webShape(m);
  return m.askPhone ? { ...reply, askPhone: true } : reply;
}

function webShape(m: Obj): PlatformReply {
  const text = String(m.text ?? "");
  const photo = typeof m.photoUrl === "string" ? m.photoUrl : undefined;
  if (Array.isArray(m.buttons) && m.buttons.length > 0) {
    const choices = (m.buttons as Obj[][]).flat().map((c) => ({ id: String(c.id), label: String(c.label) }));
    return { channel: "web", text, shape: "web_buttons", choices, raw: m, ...(photo ? { photoUrl: photo } : {}) };
  }
  if (m.list?.rows?.length) {
    const choices = (m.list.rows as Obj[]).map((c) => ({ id: String(c.id), label: String(c.label) }));
    return { channel: "web", text, shape: "web_list", choices, raw: m };
  }
  return plain("web", text, m, photo);
}


export function maxReply(m: FakeMaxSent): PlatformReply {
  const kb = m.attachments.find((a) => a.type === "inline_keyboard");
  const buttons = ((kb?.payload?.buttons ?? []) as Obj[][]).flat();
  const image = m.attachments.find((a) => a.type === "image");
  // by URL, or an uploaded image (token / photos): shown as upload:<token>
  const photo = image ? (image.payload?.url ? String(image.payload.url) : `upload:${JSON.stringify(image.payload)}`) : undefined;
  const raw = { text: m.text, attachments: m.attachments } as Obj;
  const choices = buttons.filter((b) => b.type === "callback").map((b) => ({ id: String(b.payload), label: String(b.text) }));
  const withPhoto = photo ? { photoUrl: photo } : {};
  if (buttons.some((b) => b.type === "request_contact")) return { channel: "max", text: m.text, shape: "max_share_phone", choices, raw, askPhone: true, ...withPhoto };
  if (choices.length > 0) return { channel: "max", text: m.text, shape: "max_inline", choices, raw, ...withPhoto };
  return plain("max", m.text, raw, photo);
}
