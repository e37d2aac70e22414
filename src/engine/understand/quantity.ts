/**
 * A quantity in a customer's words: «12 штук», «12шт», «x12», «дюжину», «две коробки»,
 * "a dozen", "6 pcs". Times («к 14:00»), prices («до 2500 ₽») and phone numbers are
 * not quantities.
 */
const NUMBER_WORDS: Record<string, number> = {
  один: 1, одну: 1, одна: 1, пару: 2, пара: 2, два: 2, две: 2, три: 3, четыре: 4, пять: 5, шесть: 6, семь: 7, восемь: 8,
  девять: 9, десять: 10, дюжину: 12, дюжина: 12, двенадцать: 12, пятнадцать: 15, двадцать: 20, тридцать: 30,
  one: 1, two: 2, three: 3, four: 4, five: 5, six: 6, ten: 10, twelve: 12, dozen: 12, twenty: 20,
};

const UNIT = "(?:шт\\.?|штук[аи]?|штуч\\w*|pcs|pieces?|x|х|×|бутыл\\w*|батончик\\w*|коктейл\\w*|упаков\\w*|пач\\w*|коробк\\w*|набор\\w*|boxes|box|bars?|shakes?|bottles?)";
const MAX_QTY = 200;

export interface Quantity {
  qty: number;
  /** the text with the quantity taken out, for matching the product */
  rest: string;
}

/**
 * «#12», «№ 12»: a number that names something (an order, a list item, a post), never a
 * quantity or a product's «12 шт.»; taken out before the words are matched.
 */
export function withoutNumberRefs(text: string): string {
  return text.replace(/(?:#|№)\s*\d+/gu, " ");
}

export function findQuantity(text: string): Quantity | undefined {
  const t = withoutNumberRefs(text).toLowerCase().replace(/ё/g, "е");
  // not a time, a price, a phone or an address number
  const cleaned = t
    .replace(/\d{1,2}[:.]\d{2}/g, " ")
    .replace(/\d[\d\s]*(?:₽|руб\w*|р\.|rub|rur)/g, " ")
    .replace(/\+?\d[\d\s()-]{8,}\d/g, " ");
  const patterns: RegExp[] = [
    new RegExp(`(?:^|\\s)(\\d{1,3})\\s*${UNIT}(?=\\s|$|[,.!?])`, "u"),
    new RegExp(`(?:^|\\s)(?:x|х|×)\\s*(\\d{1,3})(?=\\s|$|[,.!?])`, "u"),
    new RegExp(`(?:^|\\s)(\\d{1,3})(?=\\s|$|[,.!?])`, "u"),
  ];
  for (const re of patterns) {
    const m = re.exec(cleaned);
    if (m) {
      const qty = Number(m[1]);
      if (qty >= 1 && qty <= MAX_QTY) return { qty, rest: cleaned.replace(m[0], " ").trim() };
    }
  }
  for (const [word, qty] of Object.entries(NUMBER_WORDS)) {
    const re = new RegExp(`(?:^|\\s)${word}(?=\\s|$|[,.!?])`, "u");
    if (re.test(cleaned)) return { qty, rest: cleaned.replace(re, " ").trim() };
  }
  return undefined;
}
