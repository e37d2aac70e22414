import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { loadBundle } from "../src/engine/check.ts";
import { evaluate, type EvalResult } from "../src/engine/understand/evaluate.ts";

/**
 * The evaluation set (test/eval/understanding.yaml) against the default shop's flows:
 * how many real-style phrases the bot takes the way they must be taken. Printed by
 * `npm run bench` and on its own: node --import tsx bench/understanding.ts
 */
const ROOT = join(fileURLToPath(import.meta.url), "../..");

export async function understandingFigures(): Promise<EvalResult> {
  return evaluate(await loadBundle(join(ROOT, "flows")), join(ROOT, "test/eval/understanding.yaml"));
}

export function formatUnderstanding(r: EvalResult): string {
  const lines = [`Understanding (test/eval/understanding.yaml): ${r.correct}/${r.total} phrases = ${(r.accuracy * 100).toFixed(1)} % (target ≥ 95 %) ${r.accuracy >= 0.95 ? "PASS" : "MISS"}`];
  for (const m of r.misses) lines.push(`  missed: «${m.phrase}» → ${m.got} (expected ${m.expected})`);
  return `${lines.join("\n")}\n`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  understandingFigures().then((r) => process.stdout.write(formatUnderstanding(r)));
}
