import { join } from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium } from "./support/chromium.ts";
import { Customer } from "./support/customer.ts";
import { startHarness, type Harness } from "./support/harness.ts";
import { contactByIdentity } from "./support/store.ts";

/**
 * A Telegram customer with a cart moves to the web chat by the one-time link, in a real
 * Chromium (one context per person): the page says where the conversation came from and
 * shows the cart, then the menu. SHOTS_DIR=… keeps screenshots at phone and desktop width.
 */

let h: Harness;
let base: string;
let browser: Browser;
beforeAll(async () => {
  h = await startHarness();
  base = await h.app.listen();
  browser = await launchChromium();
}, 40_000);
afterAll(async () => {
  await browser?.close();
  await h?.close();
});

describe("moving to the web chat", () => {
  for (const width of [390, 1280]) {
    it(`at ${width}px: the page continues the Telegram conversation with its cart`, async () => {
      const tg = new Customer(h, "telegram", String(5012349300 + width));
      await tg.do({ start: null });
      for (const label of ["Каталог", "Протеиновые батончики", "Шоколадный брауни", "12 шт"]) await tg.tap(label);
      const res = await h.staff("POST", `/api/conversations/${tg.key}/move`, { to: "web" });
      expect(res.status).toBe(202);
      const code = /[?&]start=(mv_[A-Za-z0-9]{16})$/.exec(String(res.json.link))![1]!;

      const context = await browser.newContext({ locale: "ru-RU", viewport: { width, height: width < 500 ? 844 : 800 } });
      await context.route("**/*", (route) => (new URL(route.request().url()).hostname === "127.0.0.1" ? route.continue() : route.abort()));
      try {
        const page = await context.newPage();
        page.setDefaultTimeout(10_000);
        await page.goto(`${base}/?start=${code}`);
        const moved = page.locator("#log .msg.bot", { hasText: "Продолжаем здесь" });
        await moved.waitFor();
        await expect.poll(() => moved.innerText()).toContain("Шоколадный брауни × 12");
        await page.locator("#log .choices button:enabled", { hasText: "Каталог" }).last().waitFor();
        if (process.env.SHOTS_DIR) await page.screenshot({ path: join(process.env.SHOTS_DIR, `move-to-web-${width}.png`), fullPage: true });
        // the same contact now has the web chat too
        const contact = await contactByIdentity(h.store, "telegram", tg.user);
        expect(contact?.identities.map((i) => i.channel).sort()).toEqual(["telegram", "web"]);
      } finally {
        await context.close();
      }
    }, 30_000);
  }
});
