import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../src/config.ts";

describe("TELEGRAM_STAFF_CHAT_ID", () => {
  const bot = { TELEGRAM_BOT_TOKEN: "123:abc", TELEGRAM_MODE: "polling" };
  const problems = (env: Record<string, string>) => {
    try {
      loadConfig(env);
      return [];
    } catch (err) {
      return err instanceof ConfigError ? err.problems : [String(err)];
    }
  };

  it("names the staff group and its pace", () => {
    const config = loadConfig({ ...bot, TELEGRAM_STAFF_CHAT_ID: "-1001987654321" });
    expect(config.telegram).toMatchObject({ staffChatId: "-1001987654321", staffRatePerMinute: 20 });
    expect(loadConfig(bot).telegram?.staffChatId).toBeUndefined();
  });

  it("refuses what cannot be a forum supergroup, and a group without the bot", () => {
    expect(problems({ ...bot, TELEGRAM_STAFF_CHAT_ID: "12345" })).toEqual(["TELEGRAM_STAFF_CHAT_ID: must be a supergroup id such as -1001234567890"]);
    expect(problems({ TELEGRAM_STAFF_CHAT_ID: "-1001987654321" })).toEqual(["TELEGRAM_STAFF_CHAT_ID: the staff group needs the bot (set TELEGRAM_BOT_TOKEN)"]);
    expect(problems({ ...bot, TELEGRAM_STAFF_CHAT_ID: "-1001987654321", TELEGRAM_STAFF_RATE_PER_MINUTE: "0" })[0]).toMatch(/TELEGRAM_STAFF_RATE_PER_MINUTE/);
  });
});
