import type { Choice } from "../model/outbound.ts";

/**
 * Choices as text the customer answers with a digit: the engine maps "2" back to the
 * second choice (src/engine/answers.ts). Choices whose labels are already numbers
 * (CSAT 1–5, NPS 0–10) are listed as they are, so "0" stays zero.
 */
export function numberedText(text: string, choices: Choice[]): string {
  if (choices.length === 0) return text;
  if (choices.every((c) => /^\d{1,2}$/.test(c.label.trim()))) {
    return `${text}\n\n${choices.map((c) => c.label).join(" · ")}`;
  }
  const lines = choices.map((c, i) => `${i + 1}. ${c.label}${c.description ? ` — ${c.description}` : ""}`);
  return `${text}\n\n${lines.join("\n")}`;
}
