import type { Choice, RenderedPart } from "../../src/model/outbound.ts";

/**
 * The keyboard rows a part asks for: its buttons as the renderer laid them out, or a
 * `list` (WhatsApp's list message, which the other platforms lack) as buttons,
 * `listPerRow` to a row. Empty rows are dropped; no rows at all is [].
 */
export function choiceRows(part: RenderedPart, listPerRow = 1): Choice[][] {
  const rows = part.buttons ?? (part.list ? chunk(part.list.rows, listPerRow) : []);
  return rows.filter((r) => r.length > 0);
}

export function chunk<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
