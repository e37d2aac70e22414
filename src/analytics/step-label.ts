import type { Bundle } from "../engine/bundle.ts";
import { getStep } from "../engine/bundle.ts";

const MAX = 26;

/**
 * A step as the owner recognises it: what the bot says there, in the shop's default
 * language, first line, placeholders dropped, clipped (the menu: «Чем помочь?»); the
 * step's id where it says nothing (a goto, a handoff without text).
 */
export function stepLabel(bundle: Bundle, flow: string, step: string): string {
  const def = getStep(bundle, flow, step);
  const key = def && "text" in def && typeof def.text === "string" ? def.text : undefined;
  const raw = key ? (bundle.locales[bundle.shop.defaultLocale][key] ?? "") : "";
  const line =
    raw
      .replace(/\{\{[^}]*\}\}|\{[^}]*\}/g, "")
      .split("\n")
      .map((l) => l.replace(/\s+/g, " ").replace(/^[\s\p{P}\p{S}]+/u, "").trim())
      .find((l) => (l.match(/\p{L}/gu)?.length ?? 0) >= 4) ?? "";
  if (line === "") return `${bundle.flows.get(flow)?.title ?? flow}: ${step}`;
  return line.length <= MAX ? line : `${[...line].slice(0, MAX - 1).join("").trimEnd()}…`;
}
