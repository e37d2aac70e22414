import { DAY, type Period, type Who } from "../../analytics/common.ts";
import { parseDate } from "../parse-date.ts";
import type { ReportQuery } from "./schemas.ts";

/** The period a report query names: `from`..`to`, or the `days` (default 30) before `to` (default now). */
export function periodOf(q: Pick<ReportQuery, "from" | "to" | "days">, now: number): Period {
  const to = parseDate(q.to, now);
  const from = parseDate(q.from, to - Number(q.days ?? 30) * DAY);
  if (!(from < to)) throw new RangeError("`from` must be before `to`");
  if (to - from > 3 * 366 * DAY) throw new RangeError("a period is at most three years");
  return { from, to };
}

export function whoOf(q: Pick<ReportQuery, "audience" | "channel" | "source">): Who {
  return { audience: q.audience, ...(q.channel ? { channel: q.channel } : {}), ...(q.source ? { source: q.source } : {}) };
}
