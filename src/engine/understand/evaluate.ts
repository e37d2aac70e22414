import { readFile } from "node:fs/promises";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import type { Bundle } from "../bundle.ts";
import { understand, type Meaning, type Understanding } from "./understand.ts";

/**
 * Runs the evaluation set (phrases with the answer each must get) against
 * `understand` and counts what it got right. Used by the test (fails below 95 %) and
 * the bench (prints the figure).
 */
const EvalFile = z.object({ phrases: z.array(z.tuple([z.string(), z.string()])).min(1) }).strict();

export interface EvalResult {
  total: number;
  correct: number;
  accuracy: number;
  misses: { phrase: string; expected: string; got: string }[];
}

export function describeMeaning(m: Meaning | undefined): string {
  if (!m) return "none";
  switch (m.kind) {
    case "product":
      return m.qty ? `product:${m.id}×${m.qty}` : `product:${m.id}`;
    case "products":
      return `products:${m.ids.join(",")}`;
    case "category":
    case "faq":
    case "intent":
    case "audience":
      return `${m.kind}:${m.id}`;
    case "promo":
      return `promo:${m.code}`;
    case "hello":
      return "hello";
  }
}

export function describeUnderstanding(u: Understanding): string {
  return u.also ? `${describeMeaning(u.best)}+${describeMeaning(u.also)}` : describeMeaning(u.best);
}

function sameAnswer(expected: string, u: Understanding): boolean {
  const [first, second] = expected.split("+");
  const best = describeMeaning(u.best);
  // products: the same set in any order
  const norm = (s: string) => (s.startsWith("products:") ? `products:${s.slice(9).split(",").sort().join(",")}` : s);
  if (norm(best) !== norm(first!)) return false;
  return second === undefined || describeMeaning(u.also) === second;
}

export async function evaluate(bundle: Bundle, file: string): Promise<EvalResult> {
  const { phrases } = EvalFile.parse(parseYaml(await readFile(file, "utf8")));
  const misses: EvalResult["misses"] = [];
  for (const [phrase, expected] of phrases) {
    const u = understand(bundle, phrase);
    if (!sameAnswer(expected, u)) misses.push({ phrase, expected, got: describeUnderstanding(u) });
  }
  const correct = phrases.length - misses.length;
  return { total: phrases.length, correct, accuracy: correct / phrases.length, misses };
}
