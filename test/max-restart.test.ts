import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { SqliteStore } from "../src/store/sqlite.ts";
import { dialogOf, FAKE_MAX_TOKEN, maxBotStarted, maxCallback, maxText, startFakeMax } from "./fakes/max-api.ts";
import { startService, stopAllServices, tempDir } from "./support/service-process.ts";
import { contactByIdentity } from "./support/store.ts";

/**
 * MAX customers over the webhook of the service as an operator runs it (its own
 * process, SQLite), the test playing MAX: a burst of updates acknowledged with 200,
 * then SIGKILL. After the restart every acknowledged update is answered at the fake
 * MAX API and every conversation is where its customer left it.
 */

const SECRET = "restart_max_secret";
afterAll(() => stopAllServices());

describe("MAX across a crash", () => {
  it("SIGKILL right after a burst of acknowledged webhooks: nothing lost, each conversation at its step", async () => {
    const fake = await startFakeMax();
    try {
      const dataDir = tempDir();
      const env = { HOST: "127.0.0.1", DATA_DIR: dataDir, LOG_LEVEL: "warn", STAFF_API_TOKEN: "max-restart-staff-token-0123456789abcdef", MAX_BOT_TOKEN: FAKE_MAX_TOKEN, MAX_WEBHOOK_SECRET: SECRET, MAX_API_BASE: fake.apiBase };
      let svc = await startService({ env });
      const users = Array.from({ length: 8 }, (_, i) => 41_500_000 + i);
      const script = (userId: number) => [
        maxBotStarted({ userId, payload: "src_vk_ads" }),
        ...["catalogue", "bars", "bar_choco", "add12"].map((payload) => maxCallback({ userId, payload })),
      ];
      const acked = await Promise.all(
        users.map(async (userId) => {
          const statuses: number[] = [];
          for (const update of script(userId)) {
            const res = await fetch(`${svc.base}/webhooks/max`, { method: "POST", headers: { "content-type": "application/json", "x-max-bot-api-secret": SECRET }, body: JSON.stringify(update) });
            await res.arrayBuffer();
            statuses.push(res.status);
          }
          return statuses;
        }),
      );
      expect(acked.flat().every((s) => s === 200)).toBe(true);
      expect((await svc.kill()).signal).toBe("SIGKILL");

      svc = await startService({ env, port: svc.port });
      const texts = (userId: number) => fake.sent().filter((m) => m.chatId === String(dialogOf(userId))).map((m) => m.text);
      await expect.poll(() => users.filter((u) => !texts(u).includes("Оформляем?")), { timeout: 20_000, interval: 200 }).toEqual([]);
      for (const u of users) {
        const seen = texts(u);
        // every acknowledged update answered: the welcome, categories, products, card, cart
        expect(seen.some((t) => t.startsWith("Здравствуйте!")), String(u)).toBe(true);
        expect(seen.some((t) => t.includes("В упаковке:")), String(u)).toBe(true);
        expect(seen.find((t) => t.includes("В корзине")), String(u)).toContain("Шоколадный брауни × 12");
        // MAX has no idempotency key: only a reply in flight at the kill may come twice
        expect(seen.filter((t) => t === "Оформляем?").length, String(u)).toBeLessThanOrEqual(2);
      }
      expect((await svc.stop()).code).toBe(0);

      const store = SqliteStore.open(join(dataDir, "frontdesk.db"));
      try {
        expect(await store.pendingInbound()).toBe(0);
        expect(await store.deadInbound(10)).toEqual([]);
        for (const u of users) {
          const conv = await store.getConversation(`max:${dialogOf(u)}`);
          expect(conv?.step).toBe("cart_actions");
          expect(conv?.cart).toEqual([expect.objectContaining({ productId: "bar_choco", qty: 12 })]);
          expect((await contactByIdentity(store, "max", String(u)))?.source).toBe("vk_ads");
        }
      } finally {
        await store.close();
      }
    } finally {
      await fake.close();
    }
  }, 60_000);
});
