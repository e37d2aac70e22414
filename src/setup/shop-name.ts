import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseDocument } from "yaml";

/**
 * The shop's name lives in flows/shop.yaml (`name: {ru, en}`), where every flow's
 * texts find it. Edited as a YAML document so the owner's comments and layout stay.
 */
export function readShopName(flowsDir: string): { ru: string; en: string } | undefined {
  try {
    const doc = parseDocument(readFileSync(join(flowsDir, "shop.yaml"), "utf8"));
    const ru = doc.getIn(["name", "ru"]);
    const en = doc.getIn(["name", "en"]);
    return typeof ru === "string" && typeof en === "string" ? { ru, en } : undefined;
  } catch {
    return undefined;
  }
}

/** set name.ru and name.en; answers whether the file changed */
export function writeShopName(flowsDir: string, name: { ru: string; en: string }): boolean {
  const file = join(flowsDir, "shop.yaml");
  const before = readFileSync(file, "utf8");
  const doc = parseDocument(before);
  doc.setIn(["name", "ru"], name.ru);
  doc.setIn(["name", "en"], name.en);
  const after = doc.toString();
  if (after === before) return false;
  writeFileSync(file, after);
  return true;
}
