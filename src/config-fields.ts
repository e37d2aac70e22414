import { z } from "zod";

/**
 * The building blocks of the environment schema (src/config.ts composes it; each
 * adapter declares its own variables in adapters/<channel>/config.ts with these).
 */

/** an env string, trimmed; unset or blank is undefined */
export const optional = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === "" ? undefined : v.trim()));

/** A number from an env string; `fallback` when unset. */
export const num = (check: z.ZodNumber, fallback: number) =>
  optional.transform((v, ctx) => {
    if (v === undefined) return fallback;
    const parsed = check.safeParse(Number(v));
    if (v.trim() === "" || !parsed.success) {
      ctx.addIssue({ code: "custom", message: `must be ${describeNumber(check)}, got "${v}"` });
      return z.NEVER;
    }
    return parsed.data;
  });

function describeNumber(check: z.ZodNumber): string {
  const parts = [check.format === "safeint" ? "a whole number" : "a number"];
  if (check.minValue !== null && Number.isFinite(check.minValue)) parts.push(`>= ${check.minValue}`);
  if (check.maxValue !== null && Number.isFinite(check.maxValue)) parts.push(`<= ${check.maxValue}`);
  return parts.join(" ");
}

/** a base URL without its trailing slashes; `fallback` when unset */
export const url = (fallback: string) =>
  optional.pipe(
    z
      .string()
      .url("must be a URL such as http://127.0.0.1:8081")
      .optional()
      .transform((v) => (v ?? fallback).replace(/\/+$/, "")),
  );

/** a webhook secret of `min`-256 characters of A-Z a-z 0-9 _ - (the rule Telegram and MAX share but for `min`) */
export const webhookSecret = (min: number, platform: string) =>
  optional.pipe(
    z
      .string()
      .regex(new RegExp(`^[A-Za-z0-9_-]{${min},256}$`), `must be ${min}-256 characters of A-Z a-z 0-9 _ - (${platform}'s rule)`)
      .optional(),
  );

/** how a bot takes its updates: "webhook" or "polling"; undefined when unset (each platform has its default) */
export const updatesMode = optional.pipe(z.enum(["webhook", "polling"]).optional());

/**
 * A channel needs all of its variables or none of them. `related` are its optional
 * ones: setting one of those alone (a secret without its token) is half-set too.
 */
export function channel<E extends Record<string, unknown>, T>(
  env: E,
  name: string,
  required: (keyof E & string)[],
  build: () => T,
  problems: string[],
  related: (keyof E & string)[] = [],
): T | undefined {
  const set = [...required, ...related].filter((k) => env[k] !== undefined);
  if (set.length === 0) return undefined;
  const missing = required.filter((k) => env[k] === undefined);
  if (missing.length > 0) {
    problems.push(`${name} is half configured: ${set.join(", ")} set but ${missing.join(", ")} missing`);
    return undefined;
  }
  return build();
}
