import { z } from "zod";

/**
 * The shop's working hours: a week of shifts (split shifts allowed) in the shop's own
 * time zone, holidays that close a day or shorten it. Pure functions of the hours and
 * an instant: open now, when it next opens, and how much working time lies between two
 * instants (SLA counts in working time, so a Sunday night does not count against staff).
 *
 * A shop without `hours` in shop.yaml is open around the clock.
 */

const MINUTES_PER_DAY = 24 * 60;
/** how far ahead "when do we open next" looks (a shop closed for longer is "closed") */
const LOOKAHEAD_DAYS = 400;
export const WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"] as const;
export type Weekday = (typeof WEEKDAYS)[number];

/** "09:00-13:00" → [540, 780] (minutes of the local day; "24:00" ends a shift at midnight) */
const Shift = z
  .string()
  .regex(/^\d\d:\d\d-\d\d:\d\d$/, 'a shift looks like "09:00-13:00"')
  .transform((s, ctx): [number, number] => {
    const [a, b] = s.split("-").map(minutesOf) as [number | null, number | null];
    if (a === null || b === null) {
      ctx.addIssue({ code: "custom", message: `"${s}": hours are 00-23 and minutes 00-59 (24:00 only as an end)` });
      return z.NEVER;
    }
    if (a >= b) {
      ctx.addIssue({ code: "custom", message: `"${s}": a shift ends after it starts (a night shift is two: "22:00-24:00" and the next day's "00:00-02:00")` });
      return z.NEVER;
    }
    return [a, b];
  });

const Shifts = z
  .array(Shift)
  .superRefine((shifts, ctx) => {
    const sorted = [...shifts].sort((x, y) => x[0] - y[0]);
    for (let i = 1; i < sorted.length; i++) {
      if (sorted[i]![0] < sorted[i - 1]![1]) ctx.addIssue({ code: "custom", message: "shifts of one day overlap" });
    }
  })
  .transform((shifts) => [...shifts].sort((x, y) => x[0] - y[0]));

/** "2026-12-31" (that day) or "01-01" (every year) */
const HolidayDate = z.string().regex(/^(\d{4}-)?\d\d-\d\d$/, 'a holiday date looks like "2026-12-31", or "01-01" for every year').refine((d) => {
  const [m, day] = d.slice(-5).split("-").map(Number) as [number, number];
  return m >= 1 && m <= 12 && day >= 1 && day <= 31;
}, "no such month or day");

const Holiday = z.union([
  HolidayDate.transform((date) => ({ date, shifts: [] as [number, number][], name: undefined as string | undefined })),
  z
    .object({
      date: HolidayDate,
      /** a short day: these shifts instead of the week's; none (default) closes the day */
      hours: Shifts.default([]),
      name: z.string().optional(),
    })
    .strict()
    .transform((h) => ({ date: h.date, shifts: h.hours, name: h.name })),
]);

const TimeZone = z.string().refine((tz) => {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}, "not a time zone Node knows (IANA names such as Europe/Moscow)");

export const HoursSchema = z
  .object({
    /** IANA time zone the shifts are in */
    timezone: TimeZone,
    /** how customers are told which clock "9:00" is on */
    zoneLabel: z.object({ ru: z.string(), en: z.string() }).optional(),
    week: z
      .object(Object.fromEntries(WEEKDAYS.map((d) => [d, Shifts.default([])])) as Record<Weekday, z.ZodDefault<typeof Shifts>>)
      .strict(),
    holidays: z.array(Holiday).default([]),
  })
  .strict();
export type WorkingHours = z.infer<typeof HoursSchema>;

function minutesOf(hhmm: string | undefined): number | null {
  const m = /^(\d\d):(\d\d)$/.exec(hhmm ?? "");
  if (!m) return null;
  const h = Number(m[1]);
  const min = Number(m[2]);
  if (min > 59 || h > 24 || (h === 24 && min !== 0)) return null;
  return h * 60 + min;
}

const formatters = new Map<string, Intl.DateTimeFormat>();
function partsFormatter(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone: tz,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
      weekday: "short",
    });
    formatters.set(tz, f);
  }
  return f;
}

export interface LocalDay {
  year: number;
  month: number;
  day: number;
  weekday: Weekday;
  /** minutes since local midnight */
  minutes: number;
}

/** The wall clock of `tz` at instant `at`. */
export function localTime(tz: string, at: number): LocalDay & { offsetMs: number } {
  const p: Record<string, string> = {};
  for (const part of partsFormatter(tz).formatToParts(new Date(at))) p[part.type] = part.value;
  const year = Number(p.year);
  const month = Number(p.month);
  const day = Number(p.day);
  const hour = Number(p.hour) % 24;
  const minute = Number(p.minute);
  const second = Number(p.second);
  const asUtc = Date.UTC(year, month - 1, day, hour, minute, second);
  const weekday = (p.weekday ?? "Mon").slice(0, 3).toLowerCase() as Weekday;
  return { year, month, day, weekday, minutes: hour * 60 + minute, offsetMs: asUtc - Math.floor(at / 1000) * 1000 };
}

/** The instant a local wall-clock time of `tz` names (a time a DST jump skips maps forward). */
export function zonedInstant(tz: string, year: number, month: number, day: number, minutes: number): number {
  const wall = Date.UTC(year, month - 1, day) + minutes * 60_000;
  let at = wall - localTime(tz, wall).offsetMs;
  // one correction for an offset that changes between the guess and the answer
  const offset = localTime(tz, at).offsetMs;
  if (wall - offset !== at) at = wall - offset;
  return at;
}

function nextDate(year: number, month: number, day: number, by = 1): { year: number; month: number; day: number } {
  const d = new Date(Date.UTC(year, month - 1, day + by));
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
}

function weekdayOf(year: number, month: number, day: number): Weekday {
  return WEEKDAYS[(new Date(Date.UTC(year, month - 1, day)).getUTCDay() + 6) % 7]!;
}

const pad = (n: number) => String(n).padStart(2, "0");

/** The shifts of one local date: a holiday's (dated first, then yearly), else the week's. */
export function shiftsOn(hours: WorkingHours, year: number, month: number, day: number): [number, number][] {
  const dated = `${year}-${pad(month)}-${pad(day)}`;
  const yearly = `${pad(month)}-${pad(day)}`;
  const holiday = hours.holidays.find((h) => h.date === dated) ?? hours.holidays.find((h) => h.date === yearly);
  if (holiday) return holiday.shifts;
  return hours.week[weekdayOf(year, month, day)];
}

function endOfShift(tz: string, date: { year: number; month: number; day: number }, end: number): number {
  if (end < MINUTES_PER_DAY) return zonedInstant(tz, date.year, date.month, date.day, end);
  const next = nextDate(date.year, date.month, date.day);
  return zonedInstant(tz, next.year, next.month, next.day, 0);
}

/** The open intervals [start, end) as instants, day by day from the local date of `from`. */
function* openIntervals(hours: WorkingHours, from: number, maxDays = LOOKAHEAD_DAYS): Generator<[number, number]> {
  const tz = hours.timezone;
  const start = localTime(tz, from);
  let date = { year: start.year, month: start.month, day: start.day };
  for (let i = 0; i < maxDays; i++) {
    for (const [a, b] of shiftsOn(hours, date.year, date.month, date.day)) {
      const s = zonedInstant(tz, date.year, date.month, date.day, a);
      const e = endOfShift(tz, date, b);
      if (e > from) yield [s, e];
    }
    date = nextDate(date.year, date.month, date.day);
  }
}

/** Is the shop open at `at`? */
export function isOpen(hours: WorkingHours | undefined, at: number): boolean {
  if (!hours) return true;
  // shifts never cross local midnight (a night shift is written as two), so today's suffice
  for (const [s, e] of openIntervals(hours, at, 1)) if (s <= at && at < e) return true;
  return false;
}

/** When the shop next opens: `at` itself when open, null when closed for the whole look-ahead. */
export function nextOpening(hours: WorkingHours | undefined, at: number): number | null {
  if (!hours) return at;
  for (const [s, e] of openIntervals(hours, at)) {
    if (s <= at && at < e) return at;
    if (s > at) return s;
  }
  return null;
}

/** Working milliseconds in [from, to): the part of that span the shop is open. */
export function workingMsBetween(hours: WorkingHours | undefined, from: number, to: number): number {
  if (to <= from) return 0;
  if (!hours) return to - from;
  let total = 0;
  const days = Math.ceil((to - from) / 86_400_000) + 2;
  for (const [s, e] of openIntervals(hours, from, days)) {
    if (s >= to) break;
    total += Math.max(0, Math.min(e, to) - Math.max(s, from));
  }
  return total;
}

/** The instant at which `workingMs` of working time will have passed since `from` (null: never within the look-ahead). */
export function addWorkingMs(hours: WorkingHours | undefined, from: number, workingMs: number): number | null {
  if (!hours) return from + workingMs;
  let left = workingMs;
  for (const [s, e] of openIntervals(hours, from)) {
    const begin = Math.max(s, from);
    if (e - begin >= left) return begin + left;
    left -= e - begin;
  }
  return null;
}

const timeFormatters = new Map<string, Intl.DateTimeFormat>();
function cachedFormat(key: string, make: () => Intl.DateTimeFormat): Intl.DateTimeFormat {
  let f = timeFormatters.get(key);
  if (!f) timeFormatters.set(key, (f = make()));
  return f;
}

/**
 * When the shop opens, as the customer reads it in the shop's time zone:
 * { when: "today" | "tomorrow" | "later", time: "9:00", date: "понедельник, 7 декабря" }.
 * The wording around it lives in flows/locales.
 */
export function describeOpening(hours: WorkingHours | undefined, opensAt: number, now: number, locale: "ru" | "en"): {
  when: "today" | "tomorrow" | "later";
  time: string;
  date: string;
  zone: string;
} {
  const tz = hours?.timezone ?? "UTC";
  const intl = locale === "ru" ? "ru-RU" : "en-GB";
  const time = cachedFormat(`t:${tz}:${intl}`, () => new Intl.DateTimeFormat(intl, { timeZone: tz, hour: "numeric", minute: "2-digit", hourCycle: "h23" })).format(opensAt);
  const date = cachedFormat(`d:${tz}:${intl}`, () => new Intl.DateTimeFormat(intl, { timeZone: tz, weekday: "long", day: "numeric", month: "long" })).format(opensAt);
  const a = localTime(tz, now);
  const b = localTime(tz, opensAt);
  const tomorrow = nextDate(a.year, a.month, a.day);
  const when =
    a.year === b.year && a.month === b.month && a.day === b.day
      ? "today"
      : tomorrow.year === b.year && tomorrow.month === b.month && tomorrow.day === b.day
        ? "tomorrow"
        : "later";
  return { when, time, date, zone: hours?.zoneLabel?.[locale] ?? tz };
}
