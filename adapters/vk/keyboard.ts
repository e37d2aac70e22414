import type { Choice, RenderedPart } from "../../src/model/outbound.ts";
import { numberedText } from "../../src/render/text.ts";
import { choiceRows, chunk } from "../../adapters/shared/choice-rows.ts";
import { clipText } from "../../adapters/shared/clip-text.ts";

/**
 * RenderedPart → the text and keyboard JSON of one messages.send (VK-kbd, V10–V14).
 * Which keyboard depends on the customer's client (client_info, passed back as hints):
 * inline under the message when it can show one, else a one-time standard keyboard,
 * else the choices as numbered text the customer answers with a digit.
 */
export const MAX_TEXT = 9000; // V10
export const MAX_LABEL = 40; // V13
export const MAX_PAYLOAD = 255; // V13
const INLINE = { maxButtons: 10, maxPerRow: 5, maxRows: 6 }; // V12
const STANDARD = { maxButtons: 40, maxPerRow: 5, maxRows: 10 }; // V11
/** rows for a list (not produced for VK by the renderer, but handled) */
const LIST_PER_ROW = 2;

type Hints = Record<string, string | number | boolean> | undefined;
type Limits = typeof INLINE;

export interface VkButton {
  action: { type: "text"; label: string; payload: string };
  color: "secondary";
}
export interface VkKeyboard {
  buttons: VkButton[][];
  one_time?: boolean;
  inline?: boolean;
}

export interface VkOutgoing {
  message: string;
  keyboard?: VkKeyboard;
}

/** The payload our buttons carry; parse.ts reads `b` back as buttonId. */
export const buttonPayload = (id: string): string => JSON.stringify({ b: id });

export function renderVkMessage(part: RenderedPart, hints: Hints): VkOutgoing {
  // VK has no photo-by-URL: the link goes on its own line (VK shows a preview).
  // A photo file in flows/ goes as an uploaded attachment instead (adapters/vk/photos.ts).
  const suffix = part.photoUrl && /^https?:\/\//.test(part.photoUrl) ? `\n${part.photoUrl}` : "";
  const rows = choiceRows(part, LIST_PER_ROW).map((r) => r.filter((c) => c.id !== "")).filter((r) => r.length > 0);

  if (rows.length > 0) {
    const keyboard = pickKeyboard(rows, hints);
    if (keyboard) return { message: fit(part.text, suffix), keyboard };
    return { message: fit(numberedText(part.text, rows.flat()), suffix) };
  }
  if (part.removeKeyboard && hints?.vkKeyboard !== false) {
    return { message: fit(part.text, suffix), keyboard: { buttons: [], one_time: true } };
  }
  return { message: fit(part.text, suffix) };
}

function pickKeyboard(rows: Choice[][], hints: Hints): VkKeyboard | undefined {
  if (rows.flat().some((c) => buttonPayload(c.id).length > MAX_PAYLOAD)) return undefined;
  if (hints?.vkInline !== false) {
    const laid = layout(rows, INLINE);
    if (laid) return { buttons: laid.map((r) => r.map(button)), inline: true };
  }
  if (hints?.vkKeyboard !== false) {
    const laid = layout(rows, STANDARD);
    if (laid) return { buttons: laid.map((r) => r.map(button)), one_time: true, inline: false };
  }
  return undefined;
}

/** Keeps the renderer's rows when they fit; else repacks evenly; null when there are too many buttons. */
export function layout(rows: Choice[][], limits: Limits): Choice[][] | null {
  const all = rows.flat();
  if (all.length === 0 || all.length > limits.maxButtons) return null;
  const split = rows.flatMap((r) => chunk(r, limits.maxPerRow));
  if (split.length <= limits.maxRows) return split;
  return chunk(all, Math.ceil(all.length / limits.maxRows));
}

function button(c: Choice): VkButton {
  const label = clipText(c.label.trim() || c.id, MAX_LABEL);
  return { action: { type: "text", label, payload: buttonPayload(c.id) }, color: "secondary" };
}

/** The text is cut so the appended line (photo URL) always survives. */
function fit(text: string, suffix: string): string {
  return clipText(text, MAX_TEXT - suffix.length) + suffix;
}

