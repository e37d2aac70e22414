import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import type { FastifyInstance } from "fastify";

/** the report pages' scripts and styles: Chart.js from node_modules, ours from assets/ (read once) */
const require = createRequire(import.meta.url);
const ASSETS: Record<string, { type: string; body: Buffer }> = {
  "chart.umd.min.js": { type: "text/javascript; charset=utf-8", body: readFileSync(join(dirname(require.resolve("chart.js")), "chart.umd.min.js")) },
  "reports.js": { type: "text/javascript; charset=utf-8", body: readFileSync(new URL("./assets/reports.js", import.meta.url)) },
  "reports.css": { type: "text/css; charset=utf-8", body: readFileSync(new URL("./assets/reports.css", import.meta.url)) },
};

export async function reportAssets(app: FastifyInstance): Promise<void> {
  app.get<{ Params: { name: string } }>("/staff/reports/assets/:name", async (req, reply) => {
    const file = Object.hasOwn(ASSETS, req.params.name) ? ASSETS[req.params.name] : undefined;
    if (!file) return reply.code(404).send({ error: "not_found", message: "no such file" });
    return reply.type(file.type).header("cache-control", "public, max-age=300").send(file.body);
  });
}
