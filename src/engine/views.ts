import type { Locale } from "../model/domain.ts";
import type { Bundle } from "./bundle.ts";
import type { Product } from "./schema.ts";
import { grams, money } from "./text.ts";

/**
 * What texts and buttons show of the shop and its catalogue, in one locale. It depends
 * only on the loaded bundle (which is never changed in place; a reload makes a new
 * one), so it is built once per bundle and locale instead of on every message. Keyed
 * by the bundle object, a reloaded bundle never sees the old views.
 */
export interface ProductView {
  readonly id: string;
  readonly title: string;
  readonly description: string;
  readonly price: string;
  readonly protein: string;
  readonly sugar: string;
  readonly weight: string;
  readonly photo: string;
  /** the comparison criterion: price per 100 g (kept for older texts; same as per100 for grams) */
  readonly per100g: string;
  /** price per 100 g or per 100 ml, by the product's unit: "45 ₽ за 100 мл" */
  readonly per100: string;
}

export interface CategoryView {
  readonly id: string;
  readonly title: string;
}

export interface LocaleViews {
  /** {{shop.*}}: the shop's name and facts */
  readonly shop: Readonly<Record<string, string>>;
  /** {{product.*}} by product id (the first product with an id, as a search would find) */
  readonly products: ReadonlyMap<string, ProductView>;
  /** {{category.*}} by category id (likewise the first) */
  readonly categories: ReadonlyMap<string, CategoryView>;
  /** the line under a product's button in a pick: "149 ₽ · 20 g protein", by product */
  readonly pickLines: ReadonlyMap<Product, string>;
}

const viewsCache = new WeakMap<Bundle, Partial<Record<Locale, LocaleViews>>>();
const productIndex = new WeakMap<Bundle, ReadonlyMap<string, Product>>();

export function localeViews(bundle: Bundle, l: Locale): LocaleViews {
  let perLocale = viewsCache.get(bundle);
  if (!perLocale) viewsCache.set(bundle, (perLocale = {}));
  return (perLocale[l] ??= buildViews(bundle, l));
}

/** The catalogue's product with this id (the first one, like `products.find`). */
export function productById(bundle: Bundle, id: unknown): Product | undefined {
  let index = productIndex.get(bundle);
  if (!index) productIndex.set(bundle, (index = firstById(bundle.catalogue.products, (p) => p)));
  return typeof id === "string" ? index.get(id) : undefined;
}

function firstById<T extends { id: string }, V>(items: readonly T[], view: (item: T) => V): Map<string, V> {
  const out = new Map<string, V>();
  for (const item of items) if (!out.has(item.id)) out.set(item.id, view(item));
  return out;
}

function buildViews(bundle: Bundle, l: Locale): LocaleViews {
  const { shop, catalogue } = bundle;
  const price = (rub: number) => money(Math.round(rub * 100), catalogue.currency, l);
  const facts: Record<string, string> = { name: shop.name[l] };
  for (const [k, v] of Object.entries(shop.facts)) facts[k] = v[l];
  // the money figures texts quote come from the money rules, the one place they are set
  const fees = Object.entries(shop.money.deliveryFees).filter(([k]) => k !== "pickup").map(([, v]) => v);
  facts.delivery_price = price(Math.max(0, ...fees));
  facts.free_delivery_from = price(shop.money.freeDeliveryFrom);
  const productView = (p: Product): ProductView =>
    Object.freeze({
      id: p.id,
      title: p.title[l],
      description: p.description[l],
      price: price(p.price),
      protein: p.protein !== undefined ? grams(p.protein, l) : "",
      sugar: p.sugar !== undefined ? grams(p.sugar, l) : "",
      weight: p.weight !== undefined ? grams(p.weight, l, p.unit) : "",
      photo: p.photo ?? "",
      per100g: p.weight ? price((p.price * 100) / p.weight) : "",
      per100: p.weight ? `${price((p.price * 100) / p.weight)} ${l === "ru" ? "за" : "per"} ${grams(100, l, p.unit)}` : "",
    });
  const pickLine = (p: Product) =>
    [price(p.price), ...(p.protein !== undefined ? [`${grams(p.protein, l)} ${l === "ru" ? "белка" : "protein"}`] : [])].join(" · ");
  return {
    shop: Object.freeze(facts),
    products: firstById(catalogue.products, productView),
    categories: firstById(catalogue.categories, (c) => Object.freeze({ id: c.id, title: c.title[l] })),
    pickLines: new Map(catalogue.products.map((p) => [p, pickLine(p)])),
  };
}
