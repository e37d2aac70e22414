import { execFile } from "node:child_process";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FAKE_MAX_TOKEN, startFakeMax, type FakeMax } from "./fakes/max-api.ts";

/** `npx frontdesk max set-webhook` as an owner runs it: the real bin script against the fake MAX API. */

const ROOT = join(import.meta.dirname, "..");

function frontdesk(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ["bin/frontdesk.js", ...args], { cwd: ROOT, env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...env }, timeout: 30_000 }, (err, stdout, stderr) => {
      if (err && typeof err.code !== "number") return reject(err);
      resolve({ code: err ? Number(err.code) : 0, stdout, stderr });
    });
  });
}

let fake: FakeMax;
beforeAll(async () => {
  fake = await startFakeMax();
});
afterAll(async () => fake.close());

describe("npx frontdesk max set-webhook", () => {
  it("subscribes /webhooks/max with the secret and the update types, and says so", async () => {
    const env = { MAX_BOT_TOKEN: FAKE_MAX_TOKEN, MAX_WEBHOOK_SECRET: "cli_secret_123", MAX_API_BASE: fake.apiBase };
    const run = await frontdesk(["max", "set-webhook", "--url", "https://shop.example.com"], env);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("webhook set: https://shop.example.com/webhooks/max");
    expect(fake.subscriptions).toEqual([
      { url: "https://shop.example.com/webhooks/max", time: expect.any(Number), update_types: ["message_created", "message_callback", "bot_started", "bot_stopped"], secret: "cli_secret_123" },
    ]);
  });

  it("refuses without a secret, with a plain-HTTP URL, and names a wrong token", async () => {
    const noSecret = await frontdesk(["max", "set-webhook", "--url", "https://shop.example.com"], { MAX_BOT_TOKEN: FAKE_MAX_TOKEN, MAX_MODE: "polling", MAX_API_BASE: fake.apiBase });
    expect(noSecret.code).toBe(78);
    expect(noSecret.stderr).toContain("MAX_WEBHOOK_SECRET");
    const http = await frontdesk(["max", "set-webhook", "--url", "http://shop.example.com"], { MAX_BOT_TOKEN: FAKE_MAX_TOKEN, MAX_WEBHOOK_SECRET: "cli_secret_123", MAX_API_BASE: fake.apiBase });
    expect(http.code).toBe(1);
    expect(http.stderr).toContain("HTTPS");
    const wrong = await frontdesk(["max", "set-webhook", "--url", "https://shop.example.com"], { MAX_BOT_TOKEN: "nope", MAX_WEBHOOK_SECRET: "cli_secret_123", MAX_API_BASE: fake.apiBase });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/401/);
  });
});
