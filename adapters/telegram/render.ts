import type { InlineKeyboardMarkup, ReplyKeyboardMarkup, ReplyKeyboardRemove } from "grammy/types";
import type { Choice, RenderedPart } from "../../src/model/outbound.ts";
import { choiceRows } from "../../adapters/shared/choice-rows.ts";

/** T11: callback_data is 1–64 bytes of UTF-8. */
export const MAX_CALLBACK_DATA_BYTES = 64;

export type ReplyMarkup = InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove;

/** The one Bot API call a RenderedPart becomes. */
export type TelegramRequest =
  | { method: "sendMessage"; text: string; reply_markup?: ReplyMarkup }
  | { method: "sendPhoto"; photo: string; caption?: string; reply_markup?: ReplyMarkup };

export class RenderError extends Error {
  override name = "RenderError";
}

/**
 * One reply_markup per message, so when a part asks for several the order is:
 * askPhone (the customer must see the share-phone button) > inline buttons >
 * removeKeyboard (the askPhone keyboard is one_time and hides after use anyway).
 * A `list` (WhatsApp-only) degrades to one button per row; `template` is ignored.
 */
export function toTelegramRequest(part: RenderedPart): TelegramRequest {
  const reply_markup = markupOf(part);
  const extra = reply_markup ? { reply_markup } : {};
  if (part.photoUrl) {
    return { method: "sendPhoto", photo: part.photoUrl, ...(part.text ? { caption: part.text } : {}), ...extra };
  }
  if (part.text.trim() === "") throw new RenderError("sendMessage needs a non-empty text");
  return { method: "sendMessage", text: part.text, ...extra };
}

function markupOf(part: RenderedPart): ReplyMarkup | undefined {
  if (part.askPhone) {
    return {
      keyboard: [[{ text: part.askPhone.label, request_contact: true }]],
      resize_keyboard: true,
      one_time_keyboard: true,
    };
  }
  const rows = choiceRows(part);
  if (rows.length > 0) return { inline_keyboard: rows.map((row) => row.map(inlineButton)) };
  if (part.removeKeyboard) return { remove_keyboard: true };
  return undefined;
}

function inlineButton(c: Choice): { text: string; callback_data: string } {
  const bytes = Buffer.byteLength(c.id, "utf8");
  if (bytes < 1 || bytes > MAX_CALLBACK_DATA_BYTES) {
    throw new RenderError(`button id "${c.id}" is ${bytes} bytes; Telegram callback_data takes 1-64`);
  }
  return { text: c.label, callback_data: c.id };
}
