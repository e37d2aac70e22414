import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import type { FastifyInstance } from "fastify";

/**
 * The staff pages' static files: htmx from node_modules (no CDN, no build step), our
 * stylesheet and script. A fixed list read once at start, so no path from the URL
 * ever reaches the file system.
 */
const require = createRequire(import.meta.url);
const here = (name: string) => new URL(`./assets/${name}`, import.meta.url);

const FILES: Record<string, { type: string; body: Buffer }> = {
  "htmx.min.js": { type: "text/javascript; charset=utf-8", body: readFileSync(require.resolve("htmx.org/dist/htmx.min.js")) },
  "staff.js": { type: "text/javascript; charset=utf-8", body: readFileSync(here("staff.js")) },
  "staff.css": { type: "text/css; charset=utf-8", body: readFileSync(here("staff.css")) },
};

export async function registerAssets(app: FastifyInstance): Promise<void> {
  app.get<{ Params: { name: string } }>("/staff/assets/:name", async (req, reply) => {
    const file = Object.hasOwn(FILES, req.params.name) ? FILES[req.params.name] : undefined;
    if (!file) return reply.code(404).send({ error: "not_found", message: "no such file" });
    return reply.type(file.type).header("cache-control", "public, max-age=300").send(file.body);
  });
}
