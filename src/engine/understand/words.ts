import { stemmer as stemEn } from "@orama/stemmers/english";
import { stemmer as stemRu } from "@orama/stemmers/russian";

/**
 * Words as the understanding compares them: lower case, ё → е, split on anything that
 * is not a letter or digit, each reduced to its Snowball stem (Russian for Cyrillic
 * words, English for Latin ones), so «батончики», «батончиков» and «батончик» are one
 * term and a shop that adds a product needs no word lists of its own.
 */

const CYRILLIC = /[а-я]/;

/** Words that carry no meaning for a shop's front desk: questions, politeness, glue. */
const STOP = new Set(
  (
    "а и или но да нет не ни ли же бы то это этот эта эти вот вы вас вам ваш ваши ваша ваше у к ко в во на по о об от до за из " +
    "с со для при про мне мой моя мои меня я мы нас нам ты тебя он она они его ее их как что чего чем кто где когда какой какая " +
    "какие какое есть можно нужно надо хочу хотел хотела хотим бы пожалуйста плиз pls please подскажите скажите подскажи скажи " +
    "сколько скольки без шт штук штуки штучек free no здравствуйте привет добрый день вечер утро доброе так уже еще тоже очень просто только вообще там тут здесь ну ой ага " +
    "a an the and or but is are am do does did can could would will i me my we you your it this that to of in on at for with " +
    "what how which who where when hi hello hey please pls want would like need"
  ).split(" "),
);

/** Lower-cased words of a message (letters and digits), ё folded into е. */
export function words(text: string): string[] {
  return text
    .toLowerCase()
    .replace(/ё/g, "е")
    .split(/[^\p{L}\p{N}]+/u)
    .filter((w) => w.length > 0);
}

export function stem(word: string): string {
  const w = word.toLowerCase().replace(/ё/g, "е");
  if (/^\d+$/.test(w)) return w;
  return CYRILLIC.test(w) ? stemRu(w) : stemEn(w);
}

export function isStopWord(word: string): boolean {
  return STOP.has(word);
}

/**
 * The stems of a text worth searching for: stop words dropped, numbers of two or
 * three digits kept (they can be part of a name: «Офис на неделю (12 шт.)»).
 */
export function meaningfulStems(text: string): string[] {
  return words(text)
    .filter((w) => !STOP.has(w) && (!/^\d+$/.test(w) || (w.length >= 2 && w.length <= 3)))
    .map(stem)
    .filter((s) => s.length > 1);
}
