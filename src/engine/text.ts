import type { Locale } from "../model/domain.ts";
import type { Bundle } from "./bundle.ts";

/**
 * Texts by key with {{placeholders}}. Placeholders are looked up by dotted path: the
 * first part asks the scope for a value, the rest walk plain objects; nothing is
 * evaluated, so a text file can never run code.
 */
export type TemplateScope = Record<string, unknown>;

/** The value a placeholder's first path part names (undefined when there is none). */
export type Resolve = (name: string) => unknown;

const PLACEHOLDER = /\{\{\s*([A-Za-z0-9_.]+)\s*\}\}/g;

/** A template split once: literal text around each placeholder's path parts. */
interface Compiled {
  /** one more than paths: text before, between and after the placeholders */
  literals: string[];
  paths: string[][];
}

/**
 * Templates come from the loaded flows, so there are only so many; parsing each once
 * keeps the regex off the per-message path. The cap only guards against unbounded
 * growth across many reloads (the key is the text itself, so nothing goes stale).
 */
const compiledTemplates = new Map<string, Compiled>();
const MAX_COMPILED = 10_000;

function compile(template: string): Compiled {
  let c = compiledTemplates.get(template);
  if (c) return c;
  c = { literals: [], paths: [] };
  let last = 0;
  for (const m of template.matchAll(PLACEHOLDER)) {
    c.literals.push(template.slice(last, m.index));
    c.paths.push(m[1]!.split("."));
    last = m.index + m[0].length;
  }
  c.literals.push(last === 0 ? template : template.slice(last));
  if (compiledTemplates.size >= MAX_COMPILED) compiledTemplates.clear();
  compiledTemplates.set(template, c);
  return c;
}

function lookup(resolve: Resolve, path: string[]): unknown {
  let cur = resolve(path[0]!);
  for (let i = 1; i < path.length; i++) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<string, unknown>)[path[i]!];
  }
  return cur;
}

export function fill(template: string, resolve: Resolve): string {
  const { literals, paths } = compile(template);
  if (paths.length === 0) return template;
  let out = literals[0]!;
  for (let i = 0; i < paths.length; i++) {
    const v = lookup(resolve, paths[i]!);
    out += (v === undefined || v === null ? "" : String(v)) + literals[i + 1]!;
  }
  return out;
}

/** The text for `key` in `locale`, falling back to the shop's default locale, then the key itself. */
export function text(bundle: Bundle, locale: Locale, key: string, resolve: Resolve): string {
  const raw = bundle.locales[locale][key] ?? bundle.locales[bundle.shop.defaultLocale][key] ?? key;
  return fill(raw, resolve).trim();
}

/** Intl formatters are costly to build: one per locale and shape, made once. */
const formatters = new Map<string, Intl.NumberFormat>();
function formatter(locale: Locale, minFraction: number, maxFraction: number): Intl.NumberFormat {
  const key = `${locale}:${minFraction}:${maxFraction}`;
  let f = formatters.get(key);
  if (!f) {
    f = new Intl.NumberFormat(locale === "ru" ? "ru-RU" : "en-US", { minimumFractionDigits: minFraction, maximumFractionDigits: maxFraction });
    formatters.set(key, f);
  }
  return f;
}

/**
 * Kopecks → "1 290 ₽" (no decimals when whole). Formatting is the costly part and
 * the same few prices and totals come up again and again, so results are kept
 * (capped: a pure function of its arguments, so a cleared cache only costs time).
 */
export function money(minor: number, currency: string, locale: Locale): string {
  if (Object.is(minor, -0)) return formatMoney(minor, currency, locale); // "-0 ₽", not the key "0"
  const key = `${locale}|${currency}|${minor}`;
  let out = formattedMoney.get(key);
  if (out === undefined) {
    out = formatMoney(minor, currency, locale);
    if (formattedMoney.size >= MAX_FORMATTED) formattedMoney.clear();
    formattedMoney.set(key, out);
  }
  return out;
}

/**
 * Digit groups and the currency are held together by no-break spaces (U+00A0), so
 * «1 788 ₽» never wraps into «1 / 788 ₽» on a phone; every channel's renderer keeps
 * them (split and truncate cut at plain spaces only).
 */
export const NBSP = "\u00a0";

function formatMoney(minor: number, currency: string, locale: Locale): string {
  const value = minor / 100;
  const formatted = formatter(locale, Number.isInteger(value) ? 0 : 2, 2).format(value);
  return `${formatted.replace(/\u00a0|\u202f|,(?=\d{3})/g, locale === "ru" ? NBSP : ",").replace(/ /g, NBSP)}${NBSP}${currency}`;
}

const formattedMoney = new Map<string, string>();
const MAX_FORMATTED = 10_000;

const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

export function durationMs(d: string): number {
  const m = /^(\d+)(s|m|h|d)$/.exec(d);
  if (!m) throw new Error(`bad duration ${d}`);
  return Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
}

/** 1.5 → "1,5 г" / "1.5 g"; 330 ml → "330 мл" */
export function grams(n: number, locale: Locale, unit: "g" | "ml" = "g"): string {
  const u = unit === "ml" ? (locale === "ru" ? "мл" : "ml") : locale === "ru" ? "г" : "g";
  return `${formatter(locale, 0, 1).format(n).replace(/\u00a0|\u202f/g, NBSP)}${NBSP}${u}`;
}
