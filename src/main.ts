import { createApp, createLogger } from "./app.ts";
import { ConfigError, loadConfig } from "./config.ts";
import { BundleError } from "./engine/bundle.ts";
import { describeEnvFile, EnvFileError, loadEnvFile, type EnvFileResult } from "./settings/env-file.ts";

/**
 * `npm start`: read the environment, open the store, load the flows, serve.
 * SIGTERM/SIGINT stop intake first, finish the steps in hand, then close the store:
 * a graceful restart loses nothing.
 */
async function main(): Promise<void> {
  let config;
  let envFile: EnvFileResult | undefined;
  try {
    // .env first; variables already in the environment win over it
    envFile = loadEnvFile();
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError || err instanceof EnvFileError) {
      const read = envFile ? `${describeEnvFile(envFile)}\n` : "";
      process.stderr.write(`${err.message}\n${read}See .env.example for every variable, or run: npx frontdesk init\n`);
      process.exit(78);
    }
    throw err;
  }
  const log = createLogger(config.logLevel);
  envFile = envFile!;
  log.info({ envFile: envFile.path, fromFile: envFile.applied.length, overridden: envFile.overridden }, describeEnvFile(envFile));
  let app;
  try {
    app = await createApp(config, { logger: log });
  } catch (err) {
    if (err instanceof BundleError) {
      process.stderr.write(`${err.message}\nRun: npx frontdesk flows check\n`);
      process.exit(78);
    }
    throw err;
  }
  const address = await app.listen();
  const channels = [...app.adapters.keys()].join(", ");
  log.info({ address, store: app.store.kind, channels }, `front desk is up: open ${address.replace("0.0.0.0", "localhost")}/ for the web chat`);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, "stopping");
    const force = setTimeout(() => process.exit(1), 15_000);
    force.unref();
    try {
      await app.close();
      process.exit(0);
    } catch (err) {
      log.error({ err }, "shutdown failed");
      process.exit(1);
    }
  };
  process.on("SIGTERM", () => void stop("SIGTERM"));
  process.on("SIGINT", () => void stop("SIGINT"));
  process.on("unhandledRejection", (err) => log.error({ err }, "unhandled rejection"));
}

main().catch((err: unknown) => {
  process.stderr.write(`front desk failed to start: ${(err as Error)?.stack ?? String(err)}\n`);
  process.exit(1);
});
