/**
 * Dates as an owner types them: `today`, `yesterday`, `now`, `7d` / `12h` / `2w` ago,
 * `2026-11-01` (midnight in the shop's time zone, TZ), a full ISO time, or epoch ms.
 * Day boundaries follow the local time zone, so `--from yesterday --to today` is
 * exactly yesterday for a shop in Moscow when TZ=Europe/Moscow.
 */
const UNITS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 };

export const DATE_HELP = "today, yesterday, 7d (ago), 12h, 2026-11-01, 2026-11-01T10:00 or epoch ms";

export function parseFriendlyDate(input: string, now: number = Date.now()): number {
  const s = input.trim().toLowerCase();
  const midnight = (t: number, daysBack = 0) => {
    const d = new Date(t);
    return new Date(d.getFullYear(), d.getMonth(), d.getDate() - daysBack).getTime();
  };
  if (s === "now") return now;
  if (s === "today" || s === "сегодня") return midnight(now);
  if (s === "yesterday" || s === "вчера") return midnight(now, 1);
  const ago = /^(\d{1,5})\s*([mhdw])$/.exec(s);
  if (ago) return now - Number(ago[1]) * UNITS[ago[2]!]!;
  const day = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  if (day) {
    const [y, m, d] = [Number(day[1]), Number(day[2]), Number(day[3])];
    const t = new Date(y, m - 1, d);
    if (t.getFullYear() === y && t.getMonth() === m - 1 && t.getDate() === d) return t.getTime();
  } else if (/^\d{10,16}$/.test(s)) {
    return Number(s);
  } else if (/^\d{4}-\d{2}-\d{2}t/.test(s)) {
    const t = Date.parse(input.trim());
    if (Number.isFinite(t)) return t;
  }
  throw new Error(`not a date: ${input} (use ${DATE_HELP})`);
}

/** --from / --to as a report takes them: --to defaults to now, --from to `defaultSpanMs` before it */
export function parseRange(from: string | undefined, to: string | undefined, defaultSpanMs: number, now = Date.now()): { from: number; to: number } {
  const end = to === undefined ? now : parseFriendlyDate(to, now);
  const start = from === undefined ? end - defaultSpanMs : parseFriendlyDate(from, now);
  if (start >= end) throw new Error(`--from must be before --to (${new Date(start).toISOString()} is not before ${new Date(end).toISOString()})`);
  return { from: start, to: end };
}
