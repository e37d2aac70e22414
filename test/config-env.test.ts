import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../src/config.ts";
import { describeEnvFile, EnvFileError, loadEnvFile } from "../src/settings/env-file.ts";
import { parseFriendlyDate, parseRange } from "../src/cli/dates.ts";

const dir = mkdtempSync(join(tmpdir(), "frontdesk-env-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe(".env file", () => {
  it("fills what the environment lacks; the environment wins; says which file it read", () => {
    writeFileSync(join(dir, ".env"), "# shop\nPORT=4100\nSTAFF_API_TOKEN='from file with spaces and long enough for the rule'\nLOG_LEVEL=debug\n");
    const env: NodeJS.ProcessEnv = { LOG_LEVEL: "warn" };
    const r = loadEnvFile(env, dir);
    expect(r.path).toBe(join(dir, ".env"));
    expect(env).toMatchObject({ PORT: "4100", STAFF_API_TOKEN: "from file with spaces and long enough for the rule", LOG_LEVEL: "warn" });
    expect(r.applied.sort()).toEqual(["PORT", "STAFF_API_TOKEN"]);
    expect(r.overridden).toEqual(["LOG_LEVEL"]);
    expect(describeEnvFile(r)).toBe(`settings: ${join(dir, ".env")} (2 variables; 1 overridden by the environment: LOG_LEVEL)`);
    expect(loadConfig(env).port).toBe(4100);
  });

  it("no .env: nothing read, and it says so", () => {
    const empty = mkdtempSync(join(dir, "none-"));
    const env: NodeJS.ProcessEnv = {};
    const r = loadEnvFile(env, empty);
    expect(r.path).toBeNull();
    expect(env).toEqual({});
    expect(describeEnvFile(r)).toBe("settings: the environment only (no .env file)");
  });

  it("ENV_FILE names another file; a missing one is an error; none reads nothing", () => {
    writeFileSync(join(dir, "prod.env"), "PORT=4200\n");
    const env: NodeJS.ProcessEnv = { ENV_FILE: "prod.env" };
    expect(loadEnvFile(env, dir).path).toBe(join(dir, "prod.env"));
    expect(env.PORT).toBe("4200");
    expect(() => loadEnvFile({ ENV_FILE: "nope.env" }, dir)).toThrow(EnvFileError);
    expect(() => loadEnvFile({ ENV_FILE: "nope.env" }, dir)).toThrow(/ENV_FILE=nope.env: no such file/);
    const off: NodeJS.ProcessEnv = { ENV_FILE: "none" };
    expect(loadEnvFile(off, dir).path).toBeNull();
    expect(off.PORT).toBeUndefined();
  });
});

describe("half-set channels are errors that name what is missing", () => {
  const problems = (env: Record<string, string>) => {
    try {
      loadConfig(env);
      return [];
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      return err.problems;
    }
  };

  it("a lone TELEGRAM_BOT_TOKEN does not start polling: it asks for the webhook secret or TELEGRAM_MODE=polling", () => {
    const p = problems({ TELEGRAM_BOT_TOKEN: "123:abc" });
    expect(p).toHaveLength(1);
    expect(p[0]).toMatch(/^Telegram is half configured: TELEGRAM_BOT_TOKEN set but TELEGRAM_WEBHOOK_SECRET missing/);
    expect(p[0]).toContain("TELEGRAM_MODE=polling");
  });

  it("polling when asked for by name; webhook with a secret", () => {
    expect(loadConfig({ TELEGRAM_BOT_TOKEN: "123:abc", TELEGRAM_MODE: "polling" }).telegram?.mode).toBe("polling");
    expect(loadConfig({ TELEGRAM_BOT_TOKEN: "123:abc", TELEGRAM_WEBHOOK_SECRET: "s3cret" }).telegram?.mode).toBe("webhook");
  });

  it("a secret without its token is half-set too (not silently off)", () => {
    expect(problems({ TELEGRAM_WEBHOOK_SECRET: "s3cret" })).toEqual([
      "Telegram is half configured: TELEGRAM_WEBHOOK_SECRET set but TELEGRAM_BOT_TOKEN missing",
    ]);
    expect(problems({ WHATSAPP_ACCESS_TOKEN: "t", WHATSAPP_APP_SECRET: "s" })).toEqual([
      "WhatsApp is half configured: WHATSAPP_ACCESS_TOKEN, WHATSAPP_APP_SECRET set but WHATSAPP_PHONE_NUMBER_ID, WHATSAPP_VERIFY_TOKEN missing",
    ]);
    expect(problems({ VK_GROUP_TOKEN: "t" })[0]).toMatch(/^VK is half configured: VK_GROUP_TOKEN set but VK_GROUP_ID, VK_CALLBACK_SECRET, VK_CONFIRMATION_CODE missing$/);
  });
});

describe("friendly dates", () => {
  // a fixed moment: Tuesday 2026-11-03 15:30 local time
  const now = new Date(2026, 10, 3, 15, 30).getTime();
  it("today, yesterday, 7d, 12h, a calendar day, ISO time, epoch ms", () => {
    expect(parseFriendlyDate("today", now)).toBe(new Date(2026, 10, 3).getTime());
    expect(parseFriendlyDate("yesterday", now)).toBe(new Date(2026, 10, 2).getTime());
    expect(parseFriendlyDate("вчера", now)).toBe(new Date(2026, 10, 2).getTime());
    expect(parseFriendlyDate("7d", now)).toBe(now - 7 * 86_400_000);
    expect(parseFriendlyDate("12h", now)).toBe(now - 12 * 3_600_000);
    expect(parseFriendlyDate("2026-11-01", now)).toBe(new Date(2026, 10, 1).getTime());
    expect(parseFriendlyDate("2026-11-01T10:00:00Z", now)).toBe(Date.UTC(2026, 10, 1, 10));
    expect(parseFriendlyDate("1767225600000", now)).toBe(1767225600000);
    expect(parseRange("yesterday", "today", 1, now)).toEqual({ from: new Date(2026, 10, 2).getTime(), to: new Date(2026, 10, 3).getTime() });
  });

  it("anything else is refused with the forms it takes", () => {
    for (const bad of ["last tuesday", "2026-02-30", "7x", "", "2026-13-01"]) {
      expect(() => parseFriendlyDate(bad, now)).toThrow(/^not a date: .*\(use today, yesterday, 7d/);
    }
    expect(() => parseRange("today", "yesterday", 1, now)).toThrow(/--from must be before --to/);
  });

  it("never throws anything but a clear message, whatever is typed", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (s) => {
        try {
          expect(Number.isFinite(parseFriendlyDate(s, now))).toBe(true);
        } catch (err) {
          expect((err as Error).message).toMatch(/^not a date: /);
        }
      }),
    );
  });
});
