import { accessSync, constants } from "node:fs";
import { chromium, type Browser } from "playwright-core";

/**
 * A real headless Chromium for browser tests: Debian's /usr/bin/chromium (CI installs
 * it with apt), driven by playwright-core. Nothing is ever downloaded: when the binary
 * is missing the test fails and says how to install it, it does not skip.
 */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
] as const;

export class ChromiumMissingError extends Error {}

/** Throws ChromiumMissingError with the install command when the binary is not there. */
export function requireChromium(path: string = CHROMIUM_PATH): string {
  try {
    accessSync(path, constants.X_OK);
  } catch {
    throw new ChromiumMissingError(
      `Chromium not found at ${path}: the browser tests need a real Chromium. ` +
        `Install Debian's package (apt-get install -y chromium) or set CHROMIUM_PATH; ` +
        `playwright's own browser download is not used.`,
    );
  }
  return path;
}

/** Launch headless Chromium with a throwaway profile (playwright makes and removes it). */
export async function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: requireChromium(), args: [...CHROMIUM_ARGS], timeout: 30_000 });
}
