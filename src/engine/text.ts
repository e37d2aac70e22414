import type { Locale } from "../model/domain.ts";
import type { Bundle } from "./bundle.ts";

/**
 * Texts by key with {{placeholders}}. Placeholders are looked up in a plain object
 * by dotted path; nothing is evaluated, so a text file can never run code.
 */
export type TemplateScope = Record<string, unknown>;

const PLACEHOLDER = /\{\{\s*([A-Za-z0-9_.]+)\s*\}\}/g;

function lookup(scope: TemplateScope, path: string): unknown {
  let cur: unknown = scope;
  for (const part of path.split(".")) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

export function fill(template: string, scope: TemplateScope): string {
  return template.replace(PLACEHOLDER, (_, path: string) => {
    const v = lookup(scope, path);
    return v === undefined || v === null ? "" : String(v);
  });
}

/** The text for `key` in `locale`, falling back to the shop's default locale, then the key itself. */
export function text(bundle: Bundle, locale: Locale, key: string, scope: TemplateScope): string {
  const raw = bundle.locales[locale][key] ?? bundle.locales[bundle.shop.defaultLocale][key] ?? key;
  return fill(raw, scope).trim();
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

/** Kopecks → "1 290 ₽" (no decimals when whole). */
export function money(minor: number, currency: string, locale: Locale): string {
  const value = minor / 100;
  const formatted = formatter(locale, Number.isInteger(value) ? 0 : 2, 2).format(value);
  return `${formatted.replace(/\u00a0|\u202f/g, " ")} ${currency}`;
}

const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

export function durationMs(d: string): number {
  const m = /^(\d+)(s|m|h|d)$/.exec(d);
  if (!m) throw new Error(`bad duration ${d}`);
  return Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
}

/** 1.5 → "1,5 г" / "1.5 g" */
export function grams(n: number, locale: Locale): string {
  return `${formatter(locale, 0, 1).format(n).replace(/\u00a0|\u202f/g, " ")} ${locale === "ru" ? "г" : "g"}`;
}
