import type { Command } from "commander";
import { z } from "zod";
import { formatProblem, loadBundleUnchecked } from "../engine/bundle.ts";
import { checkBundle } from "../engine/check.ts";
import { CatalogueSchema, FlowSchema, ShopSchema } from "../engine/schema.ts";
import { envFileRead, fail } from "./common.ts";

/** `frontdesk flows check|schema`: the shop's flows, catalogue and texts. */
export function registerFlowsCommands(program: Command): void {
  const flows = program.command("flows").description("the shop's flows, catalogue and texts in flows/");

  flows
    .command("check")
    .description("validate flows, catalogue and texts; find dead ends, unreachable steps and missing translations")
    .option("-d, --dir <dir>", "flows directory (default: FLOWS_DIR or ./flows)")
    .action(async (opts: { dir?: string }) => {
      envFileRead();
      const dir = opts.dir ?? process.env.FLOWS_DIR ?? "./flows";
      const { bundle, problems } = await loadBundleUnchecked(dir);
      const all = bundle ? [...problems, ...checkBundle(bundle)] : problems;
      if (all.length > 0) fail(`${all.length} problem(s) in ${dir}:\n${all.map(formatProblem).join("\n")}`);
      const steps = [...bundle!.flows.values()].reduce((n, f) => n + Object.keys(f.steps).length, 0);
      process.stdout.write(
        `OK: ${bundle!.flows.size} flows, ${steps} steps, ${bundle!.catalogue.products.length} products, texts in ${Object.keys(bundle!.locales).join(" and ")}\n`,
      );
    });

  flows
    .command("schema")
    .description("print the JSON Schema of flow, catalogue and shop files (for editors)")
    .action(() => {
      const schema = {
        flow: z.toJSONSchema(FlowSchema, { io: "input" }),
        catalogue: z.toJSONSchema(CatalogueSchema, { io: "input" }),
        shop: z.toJSONSchema(ShopSchema, { io: "input" }),
      };
      process.stdout.write(`${JSON.stringify(schema, null, 2)}\n`);
    });
}
