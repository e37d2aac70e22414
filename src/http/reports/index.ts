import formbody from "@fastify/formbody";
import swagger from "@fastify/swagger";
import swaggerUi from "@fastify/swagger-ui";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { jsonSchemaTransform, serializerCompiler, validatorCompiler } from "fastify-type-provider-zod";
import { requireRole } from "../staff/auth.ts";
import { atRiskRoutes } from "./at-risk.ts";
import { cohortsRoutes } from "./cohorts.ts";
import type { ReportDeps } from "./deps.ts";
import { dropoffRoutes } from "./dropoff.ts";
import { feedbackRoutes } from "./feedback.ts";
import { funnelRoutes } from "./funnel.ts";
import { sourcesRoutes } from "./sources.ts";
import { ownerSourceRoutes } from "./owner-sources.ts";
import { reportPages } from "./pages.ts";
import { bearerToken, sameSecret } from "../secrets.ts";
import { staffRoutes } from "./staff.ts";

export type { ReportDeps } from "./deps.ts";

/**
 * The owner's report API, in one encapsulated plugin: the routes validate and answer
 * through their zod schemas, and @fastify/swagger (registered inside, so it sees only
 * these routes) turns them into the OpenAPI document served with its UI at /api/docs
 * (JSON at /api/docs/json). Reading a report takes the bearer STAFF_API_TOKEN or a
 * staff session with the owner or viewer role (the staff shell's requireRole; only
 * the bearer where the shell is not wired).
 */

export async function registerReports(app: FastifyInstance, deps: ReportDeps): Promise<void> {
  await app.register(async (api) => {
    api.setValidatorCompiler(validatorCompiler);
    api.setSerializerCompiler(serializerCompiler);
    api.setErrorHandler((err: Error & { validation?: unknown; statusCode?: number }, _req, reply) => {
      if (err.validation) return reply.code(400).send({ error: "bad_request", message: err.message });
      if (err.statusCode && err.statusCode < 500) return reply.code(err.statusCode).send({ error: "bad_request", message: err.message });
      api.log.error({ err }, "report failed");
      return reply.code(500).send({ error: "internal", message: "the report could not be built; see the service log" });
    });
    // the owner's forms post urlencoded (parsed only inside this plugin)
    if (!api.hasContentTypeParser("application/x-www-form-urlencoded")) await api.register(formbody, { bodyLimit: 16 * 1024 });
    await api.register(swagger, {
      openapi: {
        info: { title: "front desk — owner's reports", version: "1", description: "Reports over the customer journey. CSV: add ?format=csv (UTF-8 with BOM, `;`)." },
        components: { securitySchemes: { bearer: { type: "http", scheme: "bearer", description: "STAFF_API_TOKEN" } } },
      },
      transform: jsonSchemaTransform,
    });
    await api.register(swaggerUi, { routePrefix: "/api/docs" });

    await api.register(async (reports) => {
      const staffGate = requireRole("owner", "viewer");
      reports.addHook("preHandler", (req, reply) => (req.server.hasDecorator("staffAuth") ? staffGate.call(req.server, req, reply) : guard(deps, req, reply)));
      for (const routes of [funnelRoutes, sourcesRoutes, dropoffRoutes, feedbackRoutes, atRiskRoutes, cohortsRoutes, staffRoutes]) {
        await routes(reports, deps);
      }
    });
    await ownerSourceRoutes(api, deps);
    await reportPages(api, deps);
  });
}

async function guard(deps: ReportDeps, req: FastifyRequest, reply: FastifyReply): Promise<unknown> {
  const bearer = bearerToken(req.headers.authorization);
  if (bearer !== undefined) {
    if (sameSecret(bearer, deps.token)) return;
    return reply.code(401).send({ error: "unauthorized", message: "wrong bearer token" });
  }
  if (!deps.token) return reply.code(503).send({ error: "disabled", message: "set STAFF_API_TOKEN to use the report API" });
  return reply.code(401).send({ error: "unauthorized", message: "missing bearer token" });
}
