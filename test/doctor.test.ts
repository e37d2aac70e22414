import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { SqliteStore } from "../src/store/sqlite.ts";
import { startFakeTelegram, type FakeTelegram } from "./fakes/telegram-api.ts";
import { FAKE_VK_CONFIRMATION, FAKE_VK_GROUP_ID, FAKE_VK_SECRET, startFakeVk, type FakeVk } from "./fakes/vk-api.ts";
import { FAKE_WHATSAPP_TOKEN, startFakeWhatsApp, type FakeWhatsApp } from "./fakes/whatsapp-api.ts";

/**
 * `npx frontdesk doctor` as an owner runs it (the bin script in its own process),
 * against the fake platforms: what the lines say and the exit code a script sees.
 */
const ROOT = join(import.meta.dirname, "..");
const PUBLIC = "https://shop.example.com";
const TG_TOKEN = "7012345678:AAGood-token";
const VK_TOKEN = "vk1.a.good-token";
const PHONE_ID = "109876543210987";
const STAFF_CHAT = "-1001234567890";

let telegram: FakeTelegram;
let vk: FakeVk;
let whatsapp: FakeWhatsApp;
let dataDir: string;

function run(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ["bin/frontdesk.js", ...args], { cwd: ROOT, env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...env }, timeout: 60_000 }, (err, stdout, stderr) => {
      if (err && typeof err.code !== "number") return reject(err);
      resolve({ code: err ? Number(err.code) : 0, stdout, stderr });
    });
  });
}

function shopEnv(over: Record<string, string> = {}): Record<string, string> {
  return {
    ENV_FILE: "none",
    TZ: "Europe/Moscow",
    DATA_DIR: dataDir,
    PUBLIC_URL: PUBLIC,
    TELEGRAM_BOT_TOKEN: TG_TOKEN,
    TELEGRAM_WEBHOOK_SECRET: "doctor_secret",
    TELEGRAM_API_ROOT: telegram.apiRoot,
    TELEGRAM_STAFF_CHAT_ID: STAFF_CHAT,
    WHATSAPP_ACCESS_TOKEN: FAKE_WHATSAPP_TOKEN,
    WHATSAPP_PHONE_NUMBER_ID: PHONE_ID,
    WHATSAPP_APP_SECRET: "wa-app-secret",
    WHATSAPP_VERIFY_TOKEN: "wa-verify",
    WHATSAPP_API_BASE: whatsapp.apiBase,
    VK_GROUP_TOKEN: VK_TOKEN,
    VK_GROUP_ID: String(FAKE_VK_GROUP_ID),
    VK_CALLBACK_SECRET: FAKE_VK_SECRET,
    VK_CONFIRMATION_CODE: FAKE_VK_CONFIRMATION,
    VK_API_BASE: vk.apiBase,
    ...over,
  };
}

/** "✘ FAIL Telegram: bot token: …" → the line of one check */
const line = (out: string, name: string) => out.split("\n").find((l) => l.includes(` ${name}: `)) ?? `(no line for ${name} in:\n${out})`;

beforeAll(async () => {
  telegram = await startFakeTelegram({ token: TG_TOKEN });
  vk = await startFakeVk({ token: VK_TOKEN });
  whatsapp = await startFakeWhatsApp({ phoneNumberId: PHONE_ID });
  dataDir = mkdtempSync(join(tmpdir(), "frontdesk-doctor-"));
  SqliteStore.open(join(dataDir, "frontdesk.db")).close();
});

afterAll(async () => {
  await Promise.all([telegram?.close(), vk?.close(), whatsapp?.close()]);
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

beforeEach(() => {
  telegram.reset();
  vk.setCallbackServers([{ url: `${PUBLIC}/webhooks/vk`, status: "ok" }]);
});

describe("frontdesk doctor", { timeout: 120_000 }, () => {
  it("a shop set up as init and the README say: every line green, exit 0", async () => {
    const set = await run(["telegram", "set-webhook", "--url", PUBLIC], shopEnv());
    expect(set.code, set.stderr).toBe(0);
    expect(set.stdout).toBe(`webhook set: ${PUBLIC}/webhooks/telegram\n`);

    const r = await run(["doctor"], shopEnv());
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).not.toContain("\u001b["); // no colour when not on a terminal
    const names = ["settings", "store", "flows", "clock and time zone", "Telegram: bot token", "Telegram: webhook", "Telegram: staff group", "WhatsApp: access token and number", "VK: community token", "VK: Callback API server"];
    for (const n of names) expect(line(r.stdout, n)).toMatch(/^✔ ok /);
    expect(line(r.stdout, "settings")).toContain("channels on: web, telegram, whatsapp, vk");
    expect(line(r.stdout, "store")).toMatch(/SQLite .*frontdesk-doctor-\w+ \(\d+ KB\): reachable/);
    expect(line(r.stdout, "clock and time zone")).toMatch(/Europe\/Moscow \(UTC\+3\); within \d+ s of 127\.0\.0\.1/);
    expect(line(r.stdout, "Telegram: bot token")).toContain("accepted: @sportpit_shop_bot");
    expect(line(r.stdout, "Telegram: webhook")).toContain(`${PUBLIC}/webhooks/telegram, 0 updates waiting, no delivery errors`);
    expect(line(r.stdout, "Telegram: staff group")).toContain(`${STAFF_CHAT}: administrator, may manage topics`);
    expect(line(r.stdout, "WhatsApp: access token and number")).toContain("accepted: +7 916 000-00-00 «ФитПерекус», quality GREEN");
    expect(line(r.stdout, "VK: community token")).toContain(`accepted: «Fake shop» (club${FAKE_VK_GROUP_ID})`);
    expect(r.stdout).toMatch(/all 11 checks passed\n$/);
  });

  it("a wrong token per channel: that channel red with the platform's own words, the others green, exit 1", async () => {
    await run(["telegram", "set-webhook", "--url", PUBLIC], shopEnv());
    const r = await run(["doctor"], shopEnv({ TELEGRAM_BOT_TOKEN: "7012345678:AAWrong", VK_GROUP_TOKEN: "vk1.a.wrong", WHATSAPP_ACCESS_TOKEN: "EAAwrong" }));
    expect(r.code).toBe(1);
    expect(line(r.stdout, "Telegram: bot token")).toBe("✘ FAIL Telegram: bot token: Telegram answered: 401 Unauthorized");
    expect(r.stdout).toContain("→ copy the token again from @BotFather");
    expect(line(r.stdout, "VK: community token")).toBe("✘ FAIL VK: community token: VK answered: Code №5 - User authorization failed: invalid access_token (4).");
    expect(line(r.stdout, "WhatsApp: access token and number")).toContain("Invalid OAuth access token - Cannot parse access token");
    expect(r.stdout).toContain("→ make a new system-user token");
    // nothing else is asked with a refused token, and the rest of the shop is still judged
    expect(r.stdout).not.toContain("Telegram: webhook");
    for (const n of ["store", "flows"]) expect(line(r.stdout, n)).toMatch(/^✔ ok /);
    expect(r.stdout).toMatch(/3 of 8 checks failed\n$/);
    expect(r.stdout).not.toContain("AAWrong");
  });

  it("only Telegram wrong: exit 1 with that one red line", async () => {
    await run(["telegram", "set-webhook", "--url", PUBLIC], shopEnv());
    const r = await run(["doctor"], shopEnv({ TELEGRAM_BOT_TOKEN: "7012345678:AAWrong" }));
    expect(r.code).toBe(1);
    expect(r.stdout.split("\n").filter((l) => l.startsWith("✘"))).toEqual(["✘ FAIL Telegram: bot token: Telegram answered: 401 Unauthorized"]);
  });

  it("webhook not registered, its last delivery failing, the bot not an admin, VK not confirmed: each red with what to do", async () => {
    let r = await run(["doctor"], shopEnv());
    expect(line(r.stdout, "Telegram: webhook")).toMatch(/^✘ FAIL Telegram: webhook: no webhook registered/);
    expect(r.stdout).toContain(`→ npx frontdesk telegram set-webhook --url ${PUBLIC}`);

    const now = Math.floor(Date.now() / 1000);
    telegram.on("getWebhookInfo", () => ({ url: `${PUBLIC}/webhooks/telegram`, has_custom_certificate: false, pending_update_count: 17, last_error_date: now - 120, last_error_message: "Wrong response from the webhook: 502 Bad Gateway" }));
    telegram.on("getChatMember", (p) => ({ status: "member", user: { id: Number(p.user_id), is_bot: true, first_name: "bot" } }));
    vk.setCallbackServers([{ url: `${PUBLIC}/webhooks/vk`, status: "failed" }]);
    r = await run(["doctor"], shopEnv());
    expect(r.code).toBe(1);
    expect(line(r.stdout, "Telegram: webhook")).toContain('last delivery failed 2 min ago: "Wrong response from the webhook: 502 Bad Gateway" (17 updates waiting)');
    expect(line(r.stdout, "Telegram: staff group")).toContain("the bot is a member, not an administrator");
    expect(r.stdout).toContain("→ in the group: Manage group → Administrators → add the bot, with «Manage topics» on");
    expect(line(r.stdout, "VK: Callback API server")).toContain("VK could not confirm it");
  });

  it("Redis out of reach and a broken flow: red store and flows lines", async () => {
    const r = await run(["doctor"], {
      ENV_FILE: "none",
      REDIS_URL: "redis://127.0.0.1:1",
      FLOWS_DIR: "test/fixtures/broken-flows/graph",
    });
    expect(r.code).toBe(1);
    expect(line(r.stdout, "store")).toMatch(/^✘ FAIL store: Redis redis:\/\/127\.0\.0\.1:1: /);
    expect(r.stdout).toContain("→ is redis-server running");
    expect(line(r.stdout, "flows")).toMatch(/^✘ FAIL flows: \d+ problem\(s\) in test\/fixtures\/broken-flows\/graph: /);
  });

  it("a half-set channel: the settings line names what is missing, exit 1", async () => {
    const r = await run(["doctor"], { ENV_FILE: "none", TELEGRAM_BOT_TOKEN: TG_TOKEN });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("✘ FAIL settings: Telegram is half configured: TELEGRAM_BOT_TOKEN set but TELEGRAM_WEBHOOK_SECRET missing");
  });
});
