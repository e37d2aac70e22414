import type { WorkingHours } from "./hours.ts";
import { describeOpening, isOpen, nextOpening } from "./hours.ts";

/**
 * The web chat header's line on whether people are there now, from the shop's working
 * hours: in hours "на связи люди и бот", out of hours when people are back (the bot
 * answers meanwhile). Written into the page when it is served.
 */
export function peopleLine(hours: WorkingHours | undefined, now: number): { ru: string; en: string } {
  if (!hours || isOpen(hours, now)) return { ru: "на связи люди и бот", en: "people and the bot are here" };
  const opens = nextOpening(hours, now);
  if (opens === null) return { ru: "сейчас отвечает бот", en: "the bot answers now" };
  const ru = describeOpening(hours, opens, now, "ru");
  const en = describeOpening(hours, opens, now, "en");
  const whenRu = ru.when === "today" ? `сегодня в ${ru.time}` : ru.when === "tomorrow" ? `завтра в ${ru.time}` : `${ru.date} в ${ru.time}`;
  const whenEn = en.when === "today" ? `today at ${en.time}` : en.when === "tomorrow" ? `tomorrow at ${en.time}` : `${en.date} at ${en.time}`;
  return { ru: `бот отвечает сейчас, люди — ${whenRu}`, en: `the bot answers now, people ${whenEn}` };
}
