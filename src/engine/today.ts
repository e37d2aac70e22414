import type { Locale } from "../model/domain.ts";
import type { Bundle } from "./bundle.ts";

/**
 * {{today.hours}}: the shop's hours for today in Moscow (UTC+3), from the facts
 * hours_weekday / hours_weekend (falling back to hours), so «вы сегодня работаете?»
 * is answered for today, not with the whole week.
 */
const MSK = 3 * 3_600_000;

export function todayView(bundle: Bundle, locale: Locale, now: number): { hours: string; weekend: boolean } {
  const day = new Date(now + MSK).getUTCDay();
  const weekend = day === 0 || day === 6;
  const facts = bundle.shop.facts;
  const fact = (weekend ? facts.hours_weekend : facts.hours_weekday) ?? facts.hours;
  return { hours: fact?.[locale] ?? "", weekend };
}
