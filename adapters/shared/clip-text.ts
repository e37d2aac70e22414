/**
 * Shortens `text` to at most `max` UTF-16 units (what the platforms count) ending in
 * `…`, cutting at a code point so no half surrogate pair (half an emoji) goes out.
 */
export function clipText(text: string, max: number): string {
  if (text.length <= max) return text;
  let out = "";
  for (const ch of text) {
    if (out.length + ch.length + 1 > max) break;
    out += ch;
  }
  return `${out}…`;
}
