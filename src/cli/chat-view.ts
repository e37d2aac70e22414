import type { Choice, RenderedPart } from "../model/outbound.ts";

/**
 * A reply as the chosen channel would show it, drawn in the terminal: the text the
 * renderer fitted for that channel (src/render/), then its buttons or list rows as
 * numbered choices — type the number to press one. Numbered text (a channel without
 * enough buttons) is already in the text and is answered by typing the number too.
 */
export interface DrawnPart {
  lines: string[];
  /** the choices a typed number presses, in order (empty: none on this part) */
  choices: Choice[];
}

export function drawPart(part: RenderedPart, firstNumber = 1): DrawnPart {
  const lines: string[] = [];
  if (part.photoUrl) lines.push(`[фото / photo: ${part.photoUrl}]`);
  if (part.template) lines.push(`[шаблон / template ${part.template.name} (${part.template.language})]`);
  if (part.text) lines.push(...part.text.split("\n"));
  const choices: Choice[] = [];
  let n = firstNumber;
  if (part.buttons) {
    for (const row of part.buttons) {
      lines.push(`  ${row.map((c) => `[${n + choices.push(c) - 1}] ${c.label}`).join("   ")}`);
    }
  }
  if (part.list) {
    lines.push(`  ≡ ${part.list.buttonLabel}`);
    for (const row of part.list.rows) {
      lines.push(`    [${n + choices.push(row) - 1}] ${row.label}${row.description ? ` — ${row.description}` : ""}`);
    }
  }
  n += choices.length;
  if (part.askPhone) lines.push(`  [${part.askPhone.label}] → /phone +79161234567`);
  if (part.removeKeyboard) lines.push("  (клавиатура убрана / keyboard removed)");
  return { lines, choices };
}

/** the bot's lines, marked so they stand apart from what the owner types */
export function indentBot(lines: string[]): string {
  return lines.map((l, i) => (i === 0 ? `бот › ${l}` : l ? `      ${l}` : "")).join("\n");
}

/** "3 ч", "12 дн": how far a timer or a /wait is */
export function describeSpan(ms: number): string {
  if (ms <= 0) return "сейчас";
  const m = Math.round(ms / 60_000);
  if (m < 60) return `${m} мин`;
  const h = Math.round(m / 60);
  if (h < 48) return `${h} ч`;
  return `${Math.round(h / 24)} дн`;
}
