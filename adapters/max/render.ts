import type { AttachmentRequest } from "@maxhub/max-bot-api/types";
import type { RenderedPart } from "../../src/model/outbound.ts";
import { choiceRows } from "../../adapters/shared/choice-rows.ts";

/** docs/limits.md: M10 text, M11 keyboard shape, M13 callback payload. */
export const MAX_TEXT = 4000;
export const MAX_ROWS = 30;
export const MAX_PER_ROW = 7;
/** rows holding a request_contact (or link) button take at most 3 (M11) */
export const MAX_PER_WIDE_ROW = 3;
export const MAX_BUTTONS = 210;
export const MAX_PAYLOAD = 1024;

export class RenderError extends Error {
  override name = "RenderError";
}

/** The body of the one POST /messages a RenderedPart becomes. */
export interface MaxMessageBody {
  text: string;
  attachments?: AttachmentRequest[];
}

/** an image attachment's payload after an upload (POST /uploads?type=image, then the file to its url) */
export type ImagePayload = { token: string } | { photos: Record<string, { token: string }> };

type Button =
  | { type: "callback"; text: string; payload: string }
  | { type: "request_contact"; text: string };

/**
 * MAX has one keyboard, inline, and its share-my-phone button (request_contact) lives in
 * it too, so askPhone and buttons can go together: the contact button in a row of its
 * own below the choices. A `list` (WhatsApp-only) degrades to one button per row; a
 * photo goes as an image attachment by URL with the text beside it (M14). There is no
 * reply keyboard to remove, so removeKeyboard needs nothing.
 */
export function toMaxMessage(part: RenderedPart, image?: ImagePayload): MaxMessageBody {
  const attachments: AttachmentRequest[] = [];
  // an uploaded photo file goes by what its upload answered (token or photos), a URL as itself
  if (image) attachments.push({ type: "image", payload: image } as AttachmentRequest);
  else if (part.photoUrl) attachments.push({ type: "image", payload: { url: part.photoUrl } });
  const rows: Button[][] = choiceRows(part).map((row) => row.map((c) => ({ type: "callback" as const, text: c.label, payload: payloadOf(c.id) })));
  if (part.askPhone) rows.push([{ type: "request_contact", text: part.askPhone.label }]);
  if (rows.length > 0) {
    checkKeyboard(rows);
    attachments.push({ type: "inline_keyboard", payload: { buttons: rows } });
  }
  if (part.text.length > MAX_TEXT) throw new RenderError(`text is ${part.text.length} characters; MAX takes ${MAX_TEXT}`);
  if (part.text.trim() === "" && attachments.length === 0) throw new RenderError("a MAX message needs text or an attachment");
  return { text: part.text, ...(attachments.length > 0 ? { attachments } : {}) };
}

function payloadOf(id: string): string {
  if (id.length < 1 || id.length > MAX_PAYLOAD) throw new RenderError(`button id "${id.slice(0, 40)}" is ${id.length} characters; MAX payloads take 1-${MAX_PAYLOAD}`);
  return id;
}

function checkKeyboard(rows: Button[][]): void {
  if (rows.length > MAX_ROWS) throw new RenderError(`${rows.length} keyboard rows; MAX takes ${MAX_ROWS}`);
  if (rows.flat().length > MAX_BUTTONS) throw new RenderError(`${rows.flat().length} buttons; MAX takes ${MAX_BUTTONS}`);
  for (const row of rows) {
    const wide = row.some((b) => b.type === "request_contact");
    const cap = wide ? MAX_PER_WIDE_ROW : MAX_PER_ROW;
    if (row.length > cap) throw new RenderError(`${row.length} buttons in a row; MAX takes ${cap}`);
  }
}
