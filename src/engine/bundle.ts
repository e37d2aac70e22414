import { existsSync } from "node:fs";
import { readFile, readdir } from "node:fs/promises";
import { join } from "node:path";
import { parse as parseYaml } from "yaml";
import type { z } from "zod";
import type { Locale } from "../model/domain.ts";
import {
  CatalogueSchema,
  FlowSchema,
  LocaleFileSchema,
  ShopSchema,
  type Catalogue,
  type Flow,
  type LocaleTable,
  type Shop,
  type Step,
} from "./schema.ts";
import { FaqSchema, type Faq } from "./schema-extras.ts";

/**
 * Everything the engine needs from flows/, loaded and validated once:
 *   flows/shop.yaml          shop settings, global words, intents, lifecycle
 *   flows/catalogue.yaml     categories and products
 *   flows/<name>.flow.yaml   one flow each
 *   flows/locales/<l>.yaml   texts by key, one file per locale
 */
export interface Bundle {
  shop: Shop;
  catalogue: Catalogue;
  /** flows/faq.yaml (optional): questions answered from words */
  faq: Faq;
  flows: Map<string, Flow>;
  locales: Record<Locale, LocaleTable>;
  /** which file each part came from, so problems can name it */
  files: { shop: string; catalogue: string; flows: Map<string, string>; locales: Record<Locale, string>; /** the flows/ folder (photo files) */ dir: string };
}

export const LOCALES: Locale[] = ["ru", "en"];

/** One problem in the shop's data, naming the file and the path inside it. */
export interface BundleProblem {
  file: string;
  path: string;
  message: string;
}

export class BundleError extends Error {
  constructor(readonly problems: BundleProblem[]) {
    super(`flows are not valid:\n${problems.map(formatProblem).join("\n")}`);
    this.name = "BundleError";
  }
}

export function formatProblem(p: BundleProblem): string {
  return `  ${p.file}${p.path ? ` at ${p.path}` : ""}: ${p.message}`;
}

async function readYaml(file: string, problems: BundleProblem[]): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    problems.push({ file, path: "", message: `cannot read: ${(err as Error).message}` });
    return undefined;
  }
  try {
    return parseYaml(text);
  } catch (err) {
    problems.push({ file, path: "", message: `not valid YAML: ${(err as Error).message}` });
    return undefined;
  }
}

function validate<S extends z.ZodTypeAny>(schema: S, value: unknown, file: string, problems: BundleProblem[]): z.infer<S> | undefined {
  if (value === undefined) return undefined;
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  for (const issue of result.error.issues) {
    problems.push({ file, path: issue.path.join("."), message: issue.message });
  }
  return undefined;
}

/** Flatten nested locale maps into "a.b.c" keys. */
function flatten(tree: Record<string, unknown>, prefix = "", out: LocaleTable = {}): LocaleTable {
  for (const [k, v] of Object.entries(tree)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (typeof v === "string") out[key] = v;
    else if (v && typeof v === "object") flatten(v as Record<string, unknown>, key, out);
  }
  return out;
}

/** Parse and validate; structural checks (reachability, dead ends) are in check.ts. */
export async function loadBundleUnchecked(dir: string): Promise<{ bundle?: Bundle; problems: BundleProblem[] }> {
  const problems: BundleProblem[] = [];
  const shopFile = join(dir, "shop.yaml");
  const catalogueFile = join(dir, "catalogue.yaml");
  const shop = validate(ShopSchema, await readYaml(shopFile, problems), shopFile, problems);
  const catalogue = validate(CatalogueSchema, await readYaml(catalogueFile, problems), catalogueFile, problems);

  const faqFile = join(dir, "faq.yaml");
  const faqRaw = existsSync(faqFile) ? await readYaml(faqFile, problems) : { questions: [] };
  const faq = validate(FaqSchema, faqRaw ?? { questions: [] }, faqFile, problems);

  const flows = new Map<string, Flow>();
  const flowFiles = new Map<string, string>();
  let names: string[] = [];
  try {
    names = (await readdir(dir)).filter((n) => n.endsWith(".flow.yaml")).sort();
  } catch (err) {
    problems.push({ file: dir, path: "", message: `cannot list: ${(err as Error).message}` });
  }
  if (names.length === 0 && problems.length === 0) problems.push({ file: dir, path: "", message: "no *.flow.yaml files" });
  for (const name of names) {
    const file = join(dir, name);
    const flow = validate(FlowSchema, await readYaml(file, problems), file, problems);
    if (!flow) continue;
    if (flows.has(flow.id)) problems.push({ file, path: "id", message: `flow id "${flow.id}" is used twice` });
    flows.set(flow.id, flow);
    flowFiles.set(flow.id, file);
  }

  const locales = {} as Record<Locale, LocaleTable>;
  const localeFiles = {} as Record<Locale, string>;
  for (const locale of LOCALES) {
    const file = join(dir, "locales", `${locale}.yaml`);
    localeFiles[locale] = file;
    const tree = validate(LocaleFileSchema, await readYaml(file, problems), file, problems);
    locales[locale] = tree ? flatten(tree) : {};
  }
  if (!shop || !catalogue || !faq || problems.length > 0) return { problems };
  const files = { shop: shopFile, catalogue: catalogueFile, flows: flowFiles, locales: localeFiles, dir };
  return { bundle: { shop, catalogue, faq, flows, locales, files }, problems };
}

/** A step address: "flow.step", or "step" inside `fromFlow`. */
export function resolveStepRef(ref: string, fromFlow: string): { flow: string; step: string } {
  const dot = ref.indexOf(".");
  return dot < 0 ? { flow: fromFlow, step: ref } : { flow: ref.slice(0, dot), step: ref.slice(dot + 1) };
}

export function getStep(bundle: Bundle, flow: string, step: string): Step | undefined {
  return bundle.flows.get(flow)?.steps[step];
}

/** The flow a shop-level ref (which must be "flow.step") points into. */
export function shopRef(ref: string): { flow: string; step: string } {
  return resolveStepRef(ref, "");
}
