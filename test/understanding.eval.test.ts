import { describe, expect, it } from "vitest";
import { loadBundleUnchecked, type Bundle } from "../src/engine/bundle.ts";
import { evaluate } from "../src/engine/understand/evaluate.ts";
import { understand } from "../src/engine/understand/understand.ts";
import { ProductSchema } from "../src/engine/schema.ts";

async function shopBundle(): Promise<Bundle> {
  const { bundle, problems } = await loadBundleUnchecked("flows");
  if (!bundle) throw new Error(JSON.stringify(problems));
  return bundle;
}

describe("understanding: the evaluation set", () => {
  it("gets at least 95 % of test/eval/understanding.yaml right", async () => {
    const result = await evaluate(await shopBundle(), "test/eval/understanding.yaml");
    expect(result.total).toBeGreaterThanOrEqual(200);
    // the misses are printed so a drop says which phrases broke
    if (result.accuracy < 0.95) console.log(result.misses);
    expect(result.accuracy).toBeGreaterThanOrEqual(0.95);
  });
});

describe("understanding: from the catalogue itself", () => {
  it("a product added to the catalogue is understood by its title, with no word list", async () => {
    const bundle = await shopBundle();
    const added = ProductSchema.parse({
      id: "bar_mango",
      category: "bars",
      title: { ru: "Манго и маракуйя", en: "Mango passion fruit bar" },
      description: { ru: "Тропический батончик с кусочками манго.", en: "A tropical bar with mango pieces." },
      price: 159,
    });
    const before = understand(bundle, "манговые батончики 6 шт");
    expect(before.best).not.toEqual({ kind: "product", id: "bar_mango", qty: 6 });
    // a reloaded bundle is a new object (the index is built once per bundle)
    const grown: Bundle = { ...bundle, catalogue: { ...bundle.catalogue, products: [...bundle.catalogue.products, added] } };
    expect(understand(grown, "манговые батончики 6 шт").best).toEqual({ kind: "product", id: "bar_mango", qty: 6 });
    expect(understand(grown, "Манго-маракуйя").best).toEqual({ kind: "product", id: "bar_mango" });
    expect(understand(grown, "mango bar").best).toEqual({ kind: "product", id: "bar_mango" });
  });

  it("«шоколадные батончики 12 штук» is that product and 12; a time or a price is not a quantity", async () => {
    const bundle = await shopBundle();
    expect(understand(bundle, "шоколадные батончики 12 штук").best).toEqual({ kind: "product", id: "bar_choco", qty: 12 });
    expect(understand(bundle, "Шоколадный брауни 24шт").best).toEqual({ kind: "product", id: "bar_choco", qty: 24 });
    expect(understand(bundle, "брауни к 14:00").best).toEqual({ kind: "product", id: "bar_choco" });
  });

  it("not understood: nothing chosen, the closest things offered", async () => {
    const bundle = await shopBundle();
    const u = understand(bundle, "асдфгх");
    expect(u.best).toBeUndefined();
    expect(understand(bundle, "2").best).toBeUndefined();
  });
});
