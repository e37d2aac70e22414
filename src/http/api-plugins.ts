import type { FastifyInstance } from "fastify";
import fp from "fastify-plugin";
import { serializerCompiler, validatorCompiler } from "fastify-type-provider-zod";
import { bearerToken, sameSecret } from "./secrets.ts";
import { validationBody } from "./zod-error.ts";

/**
 * What every bearer-token API scope registers first (each inside its own encapsulated
 * scope, so nothing leaks to the webhooks or pages):
 *  - "api-schemas": routes validate `schema: { params, querystring, body }` with zod;
 *    a failure answers 400 { error: "bad_request", message: "text: Too big; …" }, and
 *    any other error goes on to the app's handler (src/http/errors.ts).
 *  - "api-token": the bearer STAFF_API_TOKEN, checked before the body is read.
 */
export const apiSchemas = fp(
  async (api: FastifyInstance) => {
    api.setValidatorCompiler(validatorCompiler);
    api.setSerializerCompiler(serializerCompiler);
    api.setErrorHandler((err, _req, reply) => {
      const body = validationBody(err);
      if (!body) throw err;
      return reply.code(400).send(body);
    });
  },
  { name: "api-schemas", fastify: "5.x" },
);

export const apiToken = fp(
  async (api: FastifyInstance, opts: { token: string | undefined }) => {
    api.addHook("onRequest", async (req, reply) => {
      if (!opts.token) return reply.code(503).send({ error: "disabled", message: "set STAFF_API_TOKEN to use the staff API" });
      if (!sameSecret(bearerToken(req.headers.authorization), opts.token)) {
        return reply.code(401).send({ error: "unauthorized", message: "missing or wrong bearer token" });
      }
    });
  },
  { name: "api-token", fastify: "5.x" },
);
