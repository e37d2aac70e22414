import type { Bundle } from "../bundle.ts";
import { promoIn, search, type Hit } from "./index.ts";
import { findQuantity, withoutNumberRefs } from "./quantity.ts";
import { words } from "./words.ts";

/**
 * What a customer's message means to the shop, from the catalogue, the FAQ, the
 * intents and the audience words (see index.ts). Pure and deterministic, so the
 * evaluation set (test/eval/understanding.yaml) measures exactly what the bot does.
 */
export type Meaning =
  | { kind: "product"; id: string; qty?: number }
  /** several products fit equally (e.g. «шоколадный»: the bar and the shake) */
  | { kind: "products"; ids: string[] }
  | { kind: "category"; id: string }
  | { kind: "faq"; id: string }
  | { kind: "intent"; id: string }
  | { kind: "audience"; id: string }
  | { kind: "promo"; code: string }
  | { kind: "hello" };

export interface Understanding {
  /** what to answer; undefined: not understood */
  best?: Meaning;
  /** a second question asked in the same message, answered too */
  also?: Meaning;
  /** when not understood: the closest things the shop has (two or three) */
  close: Meaning[];
  /** how strongly the best meaning matched (index score; names score far above descriptions) */
  score?: number;
}

/** Below this a match is a guess (one weak or fuzzy word), not an answer. */
const MIN_SCORE = 1.5;
/** a product is ambiguous when another one scores within this ratio */
const TIE = 0.6;
const TIE_MANY = 0.85;
const ALSO_MIN = 0.05;

function asMeaning(hit: Hit, qty?: number): Meaning {
  switch (hit.kind) {
    case "product":
      return qty ? { kind: "product", id: hit.ref, qty } : { kind: "product", id: hit.ref };
    case "category":
      return { kind: "category", id: hit.ref };
    case "faq":
      return { kind: "faq", id: hit.ref };
    case "intent":
      return { kind: "intent", id: hit.ref };
    case "audience":
      return { kind: "audience", id: hit.ref };
  }
}

const isQuestion = (h: Hit) => h.kind === "faq" || h.kind === "intent";

export function understand(bundle: Bundle, written: string): Understanding {
  const promo = promoIn(bundle, written);
  if (promo) return { best: { kind: "promo", code: promo }, close: [] };
  // «цены #12»: the number after # names something; it is no quantity and no «12 шт.» box
  const text = withoutNumberRefs(written);
  const quantity = findQuantity(text);
  let { hits, stems: stemsInOrder } = search(bundle, text);
  // nothing as written: try again allowing typos
  if (!hits.some((h) => h.score >= MIN_SCORE)) ({ hits, stems: stemsInOrder } = search(bundle, text, { typos: true }));
  // audience words only count when written out (a typo of «доставляете» is not «поставляете»)
  const strong = hits.filter((h) => h.score >= MIN_SCORE && (h.kind !== "audience" || h.exact));
  if (strong.length === 0) {
    if (isHello(bundle, text)) return { best: { kind: "hello" }, close: [] };
    return { close: closest(hits) };
  }
  // Audience words are deliberate («франшиза», «вакансии»): they win over a product word.
  const generic = (h: Hit) => h.matched.every(genericQuestion);
  const audience = strong.find((h) => h.kind === "audience" && !generic(h));
  if (audience && (audience === strong[0] || audience.matched.length > strong[0]!.matched.length)) return { best: asMeaning(audience), close: [], score: audience.score };

  const top = strong[0]!;
  let best: Hit = top;
  // A generic question word («сколько стоит», «есть в наличии») gives way to what the
  // message is about: «сколько стоит доставка» is delivery, «почём чизкейк» the cheesecake.
  if (generic(best)) best = strong.find((h) => !generic(h)) ?? best;
  // A question about the goods («состав батончиков», «ккал в батончике») is the question.
  if (best.kind === "product" || best.kind === "category") {
    const question = strong.find((h) => isQuestion(h) && !generic(h));
    if (question && question.matched.some((s) => !best.matched.includes(s))) {
      const goodsOnly = best.matched.filter((s) => !question.matched.includes(s));
      if (goodsOnly.length <= 1 && (best.kind === "category" || question.score >= best.score * 0.3)) best = question;
    }
  }
  if (best.kind === "category") {
    // a product that matched all of it and more («кофейный коктейль», «набор на 12»)
    const b = best;
    const product = strong.find((h) => h.kind === "product" && h.matched.length > b.matched.length && b.matched.every((s) => h.matched.includes(s)));
    if (product) best = product;
  }
  if (best.kind === "product") {
    // a category word alone («коктейли») is the category, not one of its products
    const b = best;
    const category = strong.find((h) => h.kind === "category" && b.matched.every((s) => h.matched.includes(s)));
    if (category) best = category;
  }
  if (best.kind === "product") {
    const tie = best.matched.length > 1 ? TIE_MANY : TIE;
    const rivals = strong.filter((h) => h.kind === "product" && h !== best && h.score >= best.score * tie && sameStems(h, best));
    if (rivals.length > 0 && !quantity) return { best: { kind: "products", ids: [best.ref, ...rivals.map((r) => r.ref)].slice(0, 3) }, close: [] };
  }
  // a number that is part of the product's name («набор на 12») is not a quantity
  const qty = best.kind === "product" && quantity && !best.matched.includes(String(quantity.qty)) ? quantity.qty : undefined;
  const meaning = asMeaning(best, qty);
  // a second question in one go: another FAQ/intent on words the first did not use
  const used = new Set(best.matched);
  const second = strong.find((h) => {
    // a second question is asked, not a word brushing past one (a fraction of the first's weight)
    if (h === best || !isQuestion(h) || h.ref === best.ref || h.score < best.score * ALSO_MIN) return false;
    const own = h.matched.filter((s) => !used.has(s));
    return own.length > 0 && !own.every(genericQuestion);
  });
  if (!second) return { best: meaning, close: [], score: best.score };
  // two questions: answered in the order they were asked
  const at = (h: Hit) => Math.min(...h.matched.map((s) => stemsInOrder.indexOf(s)).filter((i) => i >= 0));
  if (isQuestion(best) && at(second) < at(best)) return { best: asMeaning(second), also: meaning, close: [], score: best.score };
  return { best: meaning, also: asMeaning(second), close: [], score: best.score };
}

function sameStems(a: Hit, b: Hit): boolean {
  return a.matched.length === b.matched.length && a.matched.every((s) => b.matched.includes(s));
}

/** words any answer could be about: price and stock (a product card shows them), work (hours, jobs) */
const GENERIC = new Set(["сколько", "стоит", "сто", "цен", "цена", "стоимост", "почем", "price", "cost", "much", "есть", "налич", "availabl", "stock", "работа", "работ", "work"]);
function genericQuestion(stem: string): boolean {
  return GENERIC.has(stem) || [...GENERIC].some((g) => stem.startsWith(g));
}

function closest(hits: Hit[]): Meaning[] {
  const out: Meaning[] = [];
  const seen = new Set<string>();
  for (const h of hits) {
    const key = `${h.kind}:${h.ref}`;
    if (seen.has(key) || h.kind === "audience") continue;
    seen.add(key);
    out.push(asMeaning(h));
    if (out.length === 3) break;
  }
  return out;
}

function isHello(bundle: Bundle, text: string): boolean {
  const hello = new Set(bundle.shop.words.hello.flatMap((w) => words(w)));
  const ws = words(text);
  return ws.length > 0 && ws.length <= 4 && ws.some((w) => hello.has(w));
}
