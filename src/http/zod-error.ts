import { hasZodFastifySchemaValidationErrors } from "fastify-type-provider-zod";
import type { z } from "zod";

/** Each problem with where it is: ["text: Too big", "id: Invalid"]. */
export function formatZodIssues(error: z.ZodError, root = "body"): string[] {
  return error.issues.map((i) => `${i.path.join(".") || root}: ${i.message}`);
}

/** One line naming each problem: "text: Too big; id: Invalid". */
export function formatZodError(error: z.ZodError, root = "body"): string {
  return formatZodIssues(error, root).join("; ");
}

/** A zod failure as the API's 400 body. */
export function badRequestBody(error: z.ZodError, root = "body"): { error: "bad_request"; message: string } {
  return { error: "bad_request", message: formatZodError(error, root) };
}

/**
 * A route schema's failure (fastify-type-provider-zod) as the same 400 body, or
 * undefined for any other error. Its issues carry the path as "/a/b".
 */
export function validationBody(err: unknown, root = "body"): { error: "bad_request"; message: string } | undefined {
  if (!hasZodFastifySchemaValidationErrors(err)) return undefined;
  const message = err.validation.map((v) => `${v.instancePath.slice(1).replaceAll("/", ".") || root}: ${v.message}`).join("; ");
  return { error: "bad_request", message };
}
