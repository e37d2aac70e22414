import { execFile, execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseEnv } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeTelegram, type FakeTelegram } from "./fakes/telegram-api.ts";
import { FAKE_VK_GROUP_ID, startFakeVk, type FakeVk } from "./fakes/vk-api.ts";
import { startService, stopAllServices } from "./support/service-process.ts";

/**
 * A shop's first hour on a fresh clone of this repository (the committed tree, no
 * .env, nothing beside it): `init` with flags only, then the service started from
 * that clone uses what init wrote — a webhook signed with the written secret is
 * answered, one signed with .env.example's placeholder is refused.
 */
const ROOT = join(import.meta.dirname, "..");
const work = mkdtempSync(join(tmpdir(), "frontdesk-first-hour-"));
const PUBLIC = "https://shop.example.com";

/** a clone of the commit under test, sharing this checkout's node_modules */
function freshClone(name: string): string {
  const dir = join(work, name);
  const head = execFileSync("git", ["rev-parse", "HEAD"], { cwd: ROOT, encoding: "utf8" }).trim();
  execFileSync("git", ["clone", "--quiet", "--no-checkout", ROOT, dir]);
  execFileSync("git", ["-c", "advice.detachedHead=false", "checkout", "--quiet", head], { cwd: dir });
  symlinkSync(join(ROOT, "node_modules"), join(dir, "node_modules"), "dir");
  return dir;
}

function frontdesk(cwd: string, args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    // no ENV_FILE, no tokens: only what the clone holds
    execFile(process.execPath, ["bin/frontdesk.js", ...args], { cwd, env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", TZ: "UTC", ...env }, timeout: 90_000 }, (err, stdout, stderr) => {
      if (err && typeof err.code !== "number") return reject(err);
      resolve({ code: err ? Number(err.code) : 0, stdout, stderr });
    });
  });
}

const initFlags = [
  "init",
  "--name", "Тестовый магазин",
  "--channels", "telegram,vk",
  "--url", PUBLIC,
  "--tz", "Europe/Moscow",
  "--telegram-token", "7012345678:AAFirstHour",
  "--vk-token", "vk1.a.first-hour",
  "--vk-group-id", String(FAKE_VK_GROUP_ID),
  "--vk-confirmation", "c0nf1rm",
  "--owner-login", "owner",
  "--owner-password", "first-hour-owner-pw",
  "--no-input",
];

let a: string;
let b: string;
let telegram: FakeTelegram;
let vk: FakeVk;

beforeAll(async () => {
  a = freshClone("a");
  b = freshClone("b");
  telegram = await startFakeTelegram();
  vk = await startFakeVk();
});

afterAll(async () => {
  await stopAllServices();
  await Promise.all([telegram?.close(), vk?.close()]);
  rmSync(work, { recursive: true, force: true });
});

const readEnv = (dir: string) => parseEnv(readFileSync(join(dir, ".env"), "utf8")) as Record<string, string>;
const SECRETS = ["TELEGRAM_WEBHOOK_SECRET", "VK_CALLBACK_SECRET", "STAFF_API_TOKEN"] as const;

describe("a fresh clone's first hour", { timeout: 240_000 }, () => {
  let written: Record<string, string>;

  it("init with flags only: .env at mode 0600, fresh secrets that differ between two runs, the owner created, next steps printed", async () => {
    expect(existsSync(join(a, ".env"))).toBe(false);
    const [ra, rb] = await Promise.all([frontdesk(a, initFlags), frontdesk(b, initFlags)]);
    expect(ra.code, ra.stderr).toBe(0);
    expect(rb.code, rb.stderr).toBe(0);
    expect(statSync(join(a, ".env")).mode & 0o777).toBe(0o600);

    written = readEnv(a);
    const other = readEnv(b);
    const example = parseEnv(readFileSync(join(a, ".env.example"), "utf8")) as Record<string, string>;
    for (const k of SECRETS) {
      expect(written[k], k).toMatch(/^[A-Za-z0-9_-]{32,}$/);
      expect(written[k], `${k} differs between two runs`).not.toBe(other[k]);
      if (example[k]) expect(written[k]).not.toBe(example[k]);
    }
    expect(written.STAFF_API_TOKEN!.length).toBeGreaterThanOrEqual(32);
    expect(written).toMatchObject({ TELEGRAM_BOT_TOKEN: "7012345678:AAFirstHour", VK_GROUP_ID: String(FAKE_VK_GROUP_ID), PUBLIC_URL: PUBLIC, TZ: "Europe/Moscow" });
    expect(readFileSync(join(a, "flows/shop.yaml"), "utf8")).toMatch(/^name:\n {2}ru: Тестовый магазин\n/m);

    // what is left, with the values to paste
    expect(ra.stdout).toContain(`npx frontdesk telegram set-webhook --url ${PUBLIC}`);
    expect(ra.stdout).toContain(`${PUBLIC}/webhooks/vk`);
    expect(ra.stdout).toContain(written.VK_CALLBACK_SECRET);
    expect(ra.stdout).toContain("npx frontdesk doctor");

    // the owner can be seen by the staff command, in the store .env points at
    const list = await frontdesk(a, ["staff", "list"]);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toMatch(/^owner\s+owner\s+added \d{4}-\d\d-\d\d$/m);
  });

  it("never overwrites an existing .env without --force; with it, new secrets", async () => {
    const before = readFileSync(join(a, ".env"), "utf8");
    const again = await frontdesk(a, initFlags);
    expect(again.code).toBe(73);
    expect(again.stderr).toContain("already exists: not overwritten");
    expect(again.stderr).toContain("--force");
    expect(readFileSync(join(a, ".env"), "utf8")).toBe(before);

    const forced = await frontdesk(b, [...initFlags, "--force"]);
    expect(forced.code, forced.stderr).toBe(0);
    expect(readEnv(b).TELEGRAM_WEBHOOK_SECRET).not.toBe(parseEnv(before).TELEGRAM_WEBHOOK_SECRET);
    // the owner exists already in b's store: said, not hidden
    expect(forced.stdout).toContain("Owner account owner not created: the login owner is taken");
  });

  it("the service started in that clone uses the written secrets: the right ones accepted, .env.example's refused", async () => {
    // the platforms' addresses point at local fakes; everything else comes from the clone's .env
    const svc = await startService({ cwd: a, env: { ENV_FILE: ".env", HOST: "127.0.0.1", TELEGRAM_API_ROOT: telegram.apiRoot, VK_API_BASE: vk.apiBase } });
    expect(svc.output()).toContain(`settings: ${join(a, ".env")} (`);
    const example = parseEnv(readFileSync(join(a, ".env.example"), "utf8")) as Record<string, string>;
    const exampleTgSecret = /TELEGRAM_WEBHOOK_SECRET=(\S+)/.exec(readFileSync(join(a, ".env.example"), "utf8"))![1]!;
    const exampleVkSecret = /VK_CALLBACK_SECRET=(\S+)/.exec(readFileSync(join(a, ".env.example"), "utf8"))![1]!;

    const update = (id: number) => JSON.stringify({ update_id: id, message: { message_id: id, date: Math.floor(Date.now() / 1000), chat: { id: 5012345678, type: "private", first_name: "Ира" }, from: { id: 5012345678, is_bot: false, first_name: "Ира" }, text: "/start" } });
    const tg = (secret: string, id: number) =>
      fetch(`${svc.base}/webhooks/telegram`, { method: "POST", headers: { "content-type": "application/json", "x-telegram-bot-api-secret-token": secret }, body: update(id) });
    expect((await tg(exampleTgSecret, 1)).status).toBe(401);
    expect((await tg(written.TELEGRAM_WEBHOOK_SECRET!, 2)).status).toBe(200);
    // and the customer is answered through the token init wrote
    const [reply] = await telegram.waitForCalls("sendMessage", 1, 30_000);
    expect(reply!.token).toBe("7012345678:AAFirstHour");
    expect(String(reply!.params.chat_id)).toBe("5012345678");
    expect(String(reply!.params.text)).toContain("Тестовый магазин");

    const vkEvent = (secret: string, id: string) =>
      fetch(`${svc.base}/webhooks/vk`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ group_id: FAKE_VK_GROUP_ID, type: "message_new", event_id: id, v: "5.199", secret, object: { message: { date: Math.floor(Date.now() / 1000), from_id: 712345678, id: 1, out: 0, peer_id: 712345678, text: "Привет", attachments: [], fwd_messages: [], conversation_message_id: 1, important: false, is_hidden: false, random_id: 0 }, client_info: { button_actions: ["text", "callback"], keyboard: true, inline_keyboard: true, carousel: true, lang_id: 0 } } }),
      });
    expect((await vkEvent(exampleVkSecret, "ev-example")).status).toBe(403);
    const ok = await vkEvent(written.VK_CALLBACK_SECRET!, "ev-written");
    expect(ok.status).toBe(200);
    expect(await ok.text()).toBe("ok");

    const api = (token: string) => fetch(`${svc.base}/api/inbox`, { headers: { authorization: `Bearer ${token}` } });
    expect((await api(example.STAFF_API_TOKEN!)).status).toBe(401);
    expect((await api(written.STAFF_API_TOKEN!)).status).toBe(200);
    await svc.stop();
  });
});
