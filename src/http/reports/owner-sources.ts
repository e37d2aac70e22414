import type { FastifyInstance, FastifyReply } from "fastify";
import { z } from "zod";
import { NewSource, SourceName, createSource, getSource, listSources, payloadOf, qrPng, qrSvg } from "../../sources/owner-sources.ts";
import { requireRole } from "../staff/auth.ts";
import type { ReportDeps } from "./deps.ts";

/**
 * The owner's sources over the API: list them with their deep links (owner, viewer),
 * create one (owner), and each link's QR code as SVG or PNG for printing.
 */
const QrParams = z.object({ name: SourceName, format: z.enum(["svg", "png"]) });
const QrQuery = z.object({ channel: z.string().regex(/^[a-z]{2,16}$/).optional() });

export async function ownerSourceRoutes(api: FastifyInstance, deps: ReportDeps): Promise<void> {
  const links = (name: string) => deps.links?.(payloadOf(name)) ?? [];
  const bad = (reply: FastifyReply, message: string) => reply.code(400).send({ error: "bad_request", message });

  api.get("/api/sources", { preHandler: requireRole("owner", "viewer"), schema: { hide: true } }, async () => ({
    sources: (await listSources(deps.store)).map((s) => ({ ...s, links: links(s.name) })),
  }));

  api.post("/api/sources", { preHandler: requireRole("owner"), schema: { hide: true } }, async (req, reply) => {
    const { _csrf, ...fields } = (req.body ?? {}) as Record<string, unknown>;
    const body = NewSource.safeParse(fields);
    if (!body.success) return bad(reply, body.error.issues.map((i) => i.message).join("; "));
    const created = await createSource(deps.store, body.data, req.staffCaller?.login ?? "api", deps.now());
    if (!created) return reply.code(409).send({ error: "exists", message: `источник ${body.data.name} уже есть` });
    return reply.code(201).send({ source: { ...(await getSource(deps.store, body.data.name)), links: links(body.data.name) } });
  });

  api.get<{ Params: { name: string; format: string }; Querystring: Record<string, string> }>(
    "/api/sources/:name/qr.:format",
    { preHandler: requireRole("owner", "viewer"), schema: { hide: true } },
    async (req, reply) => {
      const params = QrParams.safeParse(req.params);
      const query = QrQuery.safeParse(req.query);
      if (!params.success || !query.success) return bad(reply, "ожидается /api/sources/<имя>/qr.svg или qr.png, ?channel=telegram");
      if (!(await getSource(deps.store, params.data.name))) return reply.code(404).send({ error: "not_found", message: `нет источника ${params.data.name}` });
      const all = links(params.data.name);
      const link = query.data.channel ? all.find((l) => l.channel === query.data.channel) : all[0];
      if (!link) return reply.code(404).send({ error: "not_found", message: `канал ${query.data.channel} не включён` });
      const file = `${params.data.name}-${link.channel}.${params.data.format}`;
      reply.header("content-disposition", `inline; filename="${file}"`).header("cache-control", "no-store");
      if (params.data.format === "svg") return reply.type("image/svg+xml").send(await qrSvg(link.url));
      return reply.type("image/png").send(await qrPng(link.url));
    },
  );
}
