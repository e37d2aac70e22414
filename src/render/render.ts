import type { ChannelCapabilities } from "../model/channel.ts";
import type { Choice, OutboundMessage, RenderedPart } from "../model/outbound.ts";
import { fitId } from "./ids.ts";
import { numberedText } from "./text.ts";
import { isPhotoFile } from "../photos/files.ts";

/**
 * One renderer for every channel: fits a channel-neutral message into what the
 * channel can show, degrading instead of failing —
 *   too many buttons → a list (where the channel has lists) → numbered text;
 *   long text → several messages, the buttons on the last one;
 *   a photo with a list (WhatsApp lists take no image header) → the photo first, on its own;
 *   a photo the channel cannot send → its link in the text (a photo file in flows/ is
 *   uploaded by the adapter where the channel takes files: photoFile).
 * Each returned part becomes one outbox item and one API call.
 */
export function render(msg: OutboundMessage, caps: ChannelCapabilities): RenderedPart[] {
  let text = msg.text;
  const choices = msg.choices ?? [];
  let tail: Omit<RenderedPart, "text"> = {};
  let tailLimit = caps.maxTextLength;

  if (choices.length > 0) {
    const b = caps.buttons;
    const l = caps.list;
    if (b && choices.length <= b.max) {
      tail = { buttons: rows(choices.map((c) => fitChoice(c, b.maxLabel, b.maxIdBytes)), b.perRow) };
      tailLimit = Math.min(tailLimit, b.maxText ?? tailLimit);
    } else if (l && choices.length <= l.maxRows) {
      tailLimit = Math.min(tailLimit, l.maxText ?? tailLimit);
      tail = {
        list: {
          buttonLabel: truncate(msg.listLabel ?? "≡", l.maxButtonLabel),
          rows: choices.map((c) => ({
            id: fitId(c.id, l.maxIdBytes),
            label: truncate(c.label, l.maxTitle),
            ...(c.description ? { description: truncate(c.description, l.maxDescription) } : {}),
          })),
        },
      };
    } else {
      text = numberedText(text, choices);
    }
  }
  if (msg.askPhone && caps.askPhone) tail = { ...tail, askPhone: msg.askPhone };
  if (msg.removeKeyboard) tail = { ...tail, removeKeyboard: true };
  if (msg.template) tail = { ...tail, template: msg.template };

  const parts: RenderedPart[] = [];
  if (msg.photoUrl) {
    const file = isPhotoFile(msg.photoUrl);
    if (!(file ? (caps.photoFile ?? caps.photo) : caps.photo)) {
      // a link the customer can open; a file name in flows/ would mean nothing to them
      if (!file) text = `${text}\n${msg.photoUrl}`;
    } else if (text.length <= caps.maxCaption && text.length <= tailLimit && !tail.list) {
      return [{ text, photoUrl: msg.photoUrl, ...tail }];
    } else {
      parts.push({ text: "", photoUrl: msg.photoUrl });
    }
  }
  const chunks = split(text, caps.maxTextLength, tailLimit);
  chunks.forEach((chunk, i) => parts.push(i === chunks.length - 1 ? { text: chunk, ...tail } : { text: chunk }));
  // the invoice follows its text as a message of its own (Telegram sendInvoice)
  if (msg.invoice) parts.push({ text: "", invoice: msg.invoice });
  return parts;
}

function fitChoice(c: Choice, maxLabel: number, maxIdBytes: number): Choice {
  return { id: fitId(c.id, maxIdBytes), label: truncate(c.label, maxLabel) };
}

function rows(choices: Choice[], perRow: number): Choice[][] {
  // Long labels get a row of their own so they stay readable on a phone.
  const out: Choice[][] = [];
  let row: Choice[] = [];
  for (const c of choices) {
    const wide = c.label.length > 18;
    if (row.length > 0 && (row.length >= perRow || wide)) {
      out.push(row);
      row = [];
    }
    row.push(c);
    if (wide) {
      out.push(row);
      row = [];
    }
  }
  if (row.length > 0) out.push(row);
  return out;
}

export function truncate(s: string, max: number): string {
  const chars = [...s];
  return chars.length <= max ? s : `${chars.slice(0, Math.max(1, max - 1)).join("").trimEnd()}…`;
}

/**
 * Split at paragraph, line, sentence or word boundaries; the last chunk must also
 * fit `lastLimit` (the text that rides with buttons).
 */
export function split(text: string, limit: number, lastLimit = limit): string[] {
  const chunks: string[] = [];
  let rest = text;
  while ([...rest].length > Math.min(limit, lastLimit)) {
    const max = [...rest].length > limit ? limit : lastLimit;
    const window = [...rest].slice(0, max).join("");
    let cut = Math.max(window.lastIndexOf("\n\n"), window.lastIndexOf("\n"));
    if (cut < max * 0.5) cut = Math.max(cut, window.lastIndexOf(". ") + 1, window.lastIndexOf(" "));
    if (cut < max * 0.3) cut = window.length;
    chunks.push(window.slice(0, cut).trimEnd());
    rest = rest.slice(cut).trimStart();
  }
  if (rest.length > 0 || chunks.length === 0) chunks.push(rest);
  return chunks;
}
