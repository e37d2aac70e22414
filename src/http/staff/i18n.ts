import { readFileSync } from "node:fs";
import type { FastifyRequest } from "fastify";
import { z } from "zod";

/**
 * The staff pages' texts: Russian by default, English by the switch in the header
 * (a cookie that only chooses the language). `{name}` placeholders. The texts are
 * data: one JSON file per language under texts/.
 */
export type Lang = "ru" | "en";
export const LANG_COOKIE = "fd_lang";

const Texts = z.record(z.string(), z.string());
export type TextKey = keyof typeof import("./texts/ru.json");

/** a language's texts (src/http/staff/texts/<lang>.json), checked once at start */
function load(lang: Lang): Record<string, string> {
  const texts = Texts.parse(JSON.parse(readFileSync(new URL(`./texts/${lang}.json`, import.meta.url), "utf8")));
  // English must say everything Russian does: a missing text would fall back unnoticed
  const missing = lang === "ru" ? [] : Object.keys(TEXTS.ru).filter((key) => !Object.hasOwn(texts, key));
  if (missing.length > 0) throw new Error(`src/http/staff/texts/${lang}.json lacks ${missing.join(", ")}`);
  return texts;
}
const TEXTS = {} as Record<Lang, Record<string, string>>;
TEXTS.ru = load("ru");
TEXTS.en = load("en");

export function t(lang: Lang, key: TextKey | string, vars: Record<string, string | number> = {}): string {
  const raw = TEXTS[lang][key] ?? TEXTS.ru[key] ?? key;
  return raw.replace(/\{(\w+)\}/g, (m, name: string) => (Object.hasOwn(vars, name) ? String(vars[name]) : m));
}

export function langOf(req: FastifyRequest): Lang {
  return /(?:^|;\s*)fd_lang=en(?:;|$)/.test(req.headers.cookie ?? "") ? "en" : "ru";
}

/** "12 min", "2 h 5 min", "3 d" */
export function waited(lang: Lang, ms: number): string {
  const min = Math.floor(Math.max(0, ms) / 60_000);
  if (min < 1) return t(lang, "time.now");
  if (min < 60) return t(lang, "time.min", { n: min });
  if (min < 48 * 60) return t(lang, "time.hour", { n: Math.floor(min / 60), m: min % 60 });
  return t(lang, "time.day", { n: Math.floor(min / 1440) });
}
