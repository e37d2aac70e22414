import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { parseEnv } from "node:util";

/**
 * The `.env` file every entry point reads before its configuration (the service and
 * each CLI command). Node's own parser (`util.parseEnv`, the one behind
 * `node --env-file`) reads it: same syntax as the docs everyone knows, no dependency.
 *
 * Which file: `ENV_FILE` when set (a path; `none` reads nothing, which the tests use),
 * else `.env` in the working directory when it exists. Variables already in the
 * environment win over the file, so `PORT=4000 npm start` overrides what it says.
 */
export interface EnvFileResult {
  /** absolute path of the file read, or null when none was */
  path: string | null;
  /** names taken from the file (those the environment did not already set) */
  applied: string[];
  /** names the file set but the environment overrode */
  overridden: string[];
}

export class EnvFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "EnvFileError";
  }
}

export function loadEnvFile(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): EnvFileResult {
  const named = env.ENV_FILE?.trim();
  if (named === "none") return { path: null, applied: [], overridden: [] };
  const path = resolve(cwd, named || ".env");
  if (!existsSync(path)) {
    if (named) throw new EnvFileError(`ENV_FILE=${named}: no such file (${path})`);
    return { path: null, applied: [], overridden: [] };
  }
  let parsed: NodeJS.Dict<string>;
  try {
    parsed = parseEnv(readFileSync(path, "utf8"));
  } catch (err) {
    throw new EnvFileError(`${path} could not be read: ${(err as Error).message}`);
  }
  const applied: string[] = [];
  const overridden: string[] = [];
  for (const [name, value] of Object.entries(parsed)) {
    if (value === undefined) continue;
    if (env[name] !== undefined) overridden.push(name);
    else {
      env[name] = value;
      applied.push(name);
    }
  }
  return { path, applied, overridden };
}

/** "settings: /srv/shop/.env (12 variables; 1 overridden by the environment)" */
export function describeEnvFile(r: EnvFileResult): string {
  if (!r.path) return "settings: the environment only (no .env file)";
  const over = r.overridden.length > 0 ? `; ${r.overridden.length} overridden by the environment: ${r.overridden.join(", ")}` : "";
  return `settings: ${r.path} (${r.applied.length} variable${r.applied.length === 1 ? "" : "s"}${over})`;
}
