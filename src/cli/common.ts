import { ConfigError, loadConfig, type Config } from "../config.ts";
import { EnvFileError, loadEnvFile, type EnvFileResult } from "../settings/env-file.ts";

/** Helpers every command file shares: failing with a message, the settings. */

export function fail(message: string, code = 1): never {
  process.stderr.write(`${message}\n`);
  process.exit(code);
}

let envFile: EnvFileResult | undefined;

/** `.env` read once per process, before the first configuration (the environment wins) */
export function envFileRead(): EnvFileResult {
  if (!envFile) {
    try {
      envFile = loadEnvFile();
    } catch (err) {
      if (err instanceof EnvFileError) fail(err.message, 78);
      throw err;
    }
  }
  return envFile;
}

/** the configuration, with `.env` read first; an invalid one ends the command (exit 78) */
export function cliConfig(): Config {
  envFileRead();
  try {
    return loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) fail(`${err.message}\nSee .env.example for every variable (or run: npx frontdesk init).`, 78);
    throw err;
  }
}
