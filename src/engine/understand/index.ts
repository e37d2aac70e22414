import MiniSearch, { type SearchResult } from "minisearch";
import type { Bundle } from "../bundle.ts";
import { meaningfulStems, stem, words } from "./words.ts";

/**
 * What the shop can be asked about, as one MiniSearch index built from the loaded
 * flows: every product and category (their titles, extra words and descriptions), the
 * FAQ (flows/faq.yaml), the shop's intents and audience words (flows/shop.yaml). A
 * product added to the catalogue is understood from its own title and description.
 * Built once per bundle (a reload makes a new bundle, so a new index).
 */
export type DocKind = "product" | "category" | "faq" | "intent" | "audience";

export interface Doc {
  id: string;
  kind: DocKind;
  /** the product / category / FAQ / intent / deep-link id */
  ref: string;
  /** titles: the strongest evidence */
  name: string;
  /** words and phrases that ask for it */
  words: string;
  /** descriptions, the category a product is in: weak evidence */
  about: string;
}

export interface Hit {
  kind: DocKind;
  ref: string;
  score: number;
  /** which of the query's stems it matched */
  matched: string[];
  /** at least one stem matched as written (not only by a typo or a shortened form) */
  exact: boolean;
}

const indexes = new WeakMap<Bundle, MiniSearch<Doc>>();

function docs(bundle: Bundle): Doc[] {
  const { catalogue, shop, faq } = bundle;
  const out: Doc[] = [];
  const catTitle = new Map(catalogue.categories.map((c) => [c.id, `${c.title.ru} ${c.title.en}`]));
  for (const c of catalogue.categories) {
    out.push({ id: `category:${c.id}`, kind: "category", ref: c.id, name: `${c.title.ru} ${c.title.en}`, words: "", about: "" });
  }
  for (const p of catalogue.products) {
    if (!p.inStock) continue;
    // the title without its generic category words («Протеиновые …») names the product
    out.push({
      id: `product:${p.id}`,
      kind: "product",
      ref: p.id,
      name: `${p.title.ru} ${p.title.en}`,
      words: [...(p.words?.ru ?? []), ...(p.words?.en ?? [])].join(" "),
      about: `${catTitle.get(p.category) ?? ""} ${p.description.ru} ${p.description.en}`,
    });
  }
  for (const q of faq.questions) {
    out.push({ id: `faq:${q.id}`, kind: "faq", ref: q.id, name: "", words: [...q.words.ru, ...q.words.en].join(" | "), about: "" });
  }
  for (const i of shop.intents) {
    out.push({ id: `intent:${i.id}`, kind: "intent", ref: i.id, name: "", words: i.words.join(" | "), about: "" });
  }
  for (const [key, route] of Object.entries(shop.deepLinks.audiences)) {
    if (route.words.length === 0) continue;
    out.push({ id: `audience:${key}`, kind: "audience", ref: key, name: "", words: route.words.join(" | "), about: "" });
  }
  return out;
}

/** Document text → stems (stop words kept out of the index too). */
function tokenize(text: string): string[] {
  return meaningfulStems(text);
}

export function shopIndex(bundle: Bundle): MiniSearch<Doc> {
  let index = indexes.get(bundle);
  if (index) return index;
  index = new MiniSearch<Doc>({
    fields: ["name", "words", "about"],
    storeFields: ["kind", "ref"],
    tokenize,
    // terms arrive stemmed from tokenize; MiniSearch would lower-case them again
    processTerm: (t) => t,
  });
  index.addAll(docs(bundle));
  indexes.set(bundle, index);
  return index;
}

const BOOST = { name: 3, words: 2.2, about: 0.6 };

/**
 * A long stem also searched shortened by two letters: Snowball leaves some forms
 * longer than the word the shop wrote («тренировок» for «тренировки», «кокосовый» for
 * «кокос»), and a prefix of it finds them. Worth less than the stem itself.
 */
function shortened(stem: string): string[] {
  if (stem.length < 6 || /^\d+$/.test(stem)) return [];
  return stem.length >= 7 ? [stem.slice(0, -2), stem.slice(0, -3)] : [stem.slice(0, -2)];
}

/** The index's best matches for a text, each with the query stems it matched. */
export function search(bundle: Bundle, text: string, opts: { typos: boolean } = { typos: false }): { hits: Hit[]; stems: string[] } {
  const stems = meaningfulStems(text);
  if (stems.length === 0) return { hits: [], stems };
  const origin = new Map<string, string>(stems.map((s) => [s, s]));
  const derived = new Set<string>();
  for (const s of stems) {
    for (const short of shortened(s)) {
      if (origin.has(short)) continue;
      origin.set(short, s);
      derived.add(short);
    }
  }
  const results: SearchResult[] = shopIndex(bundle).search([...origin.keys()].join(" "), {
    tokenize: (t) => t.split(" "),
    processTerm: (t) => t,
    boost: BOOST,
    // a number only backs up a name («набор на 12»), it never names a product alone
    boostTerm: (term) => (derived.has(term) ? 0.55 : /^\d+$/.test(term) ? 0.25 : 1),
    prefix: (term) => term.length >= 4,
    // without typos only long words may differ by a letter; with typos (the second try,
    // when nothing matched as written) a letter in a short word, two in a long one
    fuzzy: (term) => {
      if (derived.has(term) || /^\d+$/.test(term)) return false;
      if (!opts.typos) return term.length >= 8 ? 1 : false;
      return term.length >= 6 ? 2 : term.length >= 3 ? 1 : false;
    },
    weights: { fuzzy: 0.45, prefix: 0.8 },
    combineWith: "OR",
    // a doc with many synonyms (an intent's word list) is not a weaker match for each of them
    bm25: { k: 1.2, b: 0.2, d: 0.5 },
  });
  return {
    stems,
    hits: results.map((r) => ({
      kind: r.kind as DocKind,
      ref: r.ref as string,
      score: r.score,
      matched: [...new Set(r.queryTerms.map((q) => origin.get(q) ?? q))],
      exact: r.queryTerms.some((q) => !derived.has(q) && r.terms.some((t) => t.startsWith(q))),
    })),
  };
}

/** A word that is a promo code the shop has (case does not matter). */
export function promoIn(bundle: Bundle, text: string): string | undefined {
  const codes = new Map(bundle.shop.promos.map((p) => [p.code.toLowerCase(), p.code]));
  for (const w of words(text)) {
    const code = codes.get(w);
    if (code) return code;
  }
  return undefined;
}

export { stem };
