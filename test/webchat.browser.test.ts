import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp, type App } from "../src/app.ts";
import { loadConfig } from "../src/config.ts";
import { STAGES } from "../src/model/domain.ts";
import { launchChromium } from "./support/chromium.ts";
import { contactByIdentity } from "./support/store.ts";

/**
 * What a new user gets on `npm start` with no tokens: the built-in web chat at `/`,
 * opened in a real headless Chromium and used with real clicks, from a QR-code link
 * (?src=gym_flyer) to a placed order.
 */

let app: App;
let base: string;
let dataDir: string;
let browser: Browser;
let context: BrowserContext;
let page: Page;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "frontdesk-webchat-"));
  // exactly a new user's environment: no channel tokens, no staff token, no Redis
  const config = loadConfig({ PORT: "0", HOST: "127.0.0.1", DATA_DIR: dataDir, LOG_LEVEL: "silent" });
  app = await createApp(config);
  base = await app.listen();
  browser = await launchChromium();
  context = await browser.newContext({ locale: "ru-RU", viewport: { width: 480, height: 900 } });
  // Photos are the shop's own files (flows/photos): the test never leaves this machine.
  await context.route("**/*", (route) =>
    new URL(route.request().url()).hostname === "127.0.0.1" ? route.continue() : route.abort(),
  );
  page = await context.newPage();
  page.setDefaultTimeout(10_000);
}, 40_000);

afterAll(async () => {
  await browser?.close();
  await app?.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

/** with WEBCHAT_SHOTS_DIR set: the page at phone and desktop width, for a person to look at */
const SHOTS = process.env.WEBCHAT_SHOTS_DIR;
async function shot(name: string): Promise<void> {
  if (!SHOTS) return;
  for (const [label, width, height] of [["phone", 390, 844], ["desktop", 1280, 800]] as const) {
    await page.setViewportSize({ width, height });
    await page.screenshot({ path: join(SHOTS, `webchat-${name}-${label}.png`) });
  }
  await page.setViewportSize({ width: 480, height: 900 });
}

const botMessages = () => page.locator("#log .msg.bot");
const sessionCookie = async () => (await context.cookies()).find((c) => c.name === "fd_chat")?.value;

/** wait until a bot message containing `text` is on the page */
async function sees(text: string | RegExp): Promise<void> {
  await botMessages().filter({ hasText: text }).last().waitFor();
}

/** click the enabled button labelled `label` (old ones are disabled after each click) */
async function tap(label: string | RegExp): Promise<void> {
  await page.locator("#log .choices button:enabled", { hasText: label }).last().click();
}

describe("the web chat page in Chromium", () => {
  it("takes a customer from a flyer link to a placed order with clicks, a typed address and a phone", async () => {
    await page.goto(`${base}/?src=gym_flyer`);
    await sees("Здравствуйте! Это ФитПерекус");

    await tap("Каталог");
    await sees("Что посмотрим?");
    await tap("Протеиновые батончики");
    await sees("выберите, покажу подробнее");
    await tap("Шоколадный брауни");
    await sees("Шоколадный брауни — 149");
    // the card's photo is the catalogue's file, served by this service and drawn
    const photo = botMessages().last().locator("img");
    await expect(photo.getAttribute("src")).resolves.toMatch(/^\/webchat\/photos\//);
    await page.waitForFunction(() => {
      const img = [...document.querySelectorAll<HTMLImageElement>("#log .msg.bot img")].at(-1);
      return !!img && img.complete && img.naturalWidth > 0;
    });
    await shot("card");
    await tap("12 шт");
    await sees("Шоколадный брауни × 12");
    await tap("Оформить заказ");
    await sees("Как удобнее получить заказ?");
    await tap("Курьер в офис");
    await sees("Напишите адрес");

    const address = "Пресненская наб., 10, офис 1204";
    await page.locator("#input").fill(address);
    await page.locator("#send").click();
    await page.locator("#log .msg.me", { hasText: address }).waitFor();
    await sees("Телефон для связи");

    const phoneForm = botMessages().last().locator("form.phone");
    await phoneForm.locator("input").fill("+7 916 123-45-67");
    await phoneForm.locator("button").click();
    await sees("Всё верно?");
    await expect(botMessages().last().textContent()).resolves.toContain(address);
    await tap("Заказать");
    await sees(/Заказ №\S+ принят/);

    await shot("order");

    // the server's session, in an HttpOnly cookie the page's script cannot read
    const session = await sessionCookie();
    expect(session).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(await page.evaluate(() => document.cookie)).not.toContain(session);
    const contact = await contactByIdentity(app.store, "web", session!);
    expect(contact?.source).toBe("gym_flyer");
    expect(contact?.audience).toBe("customer");
    const orders = await app.store.listOrders({ contactId: contact!.id });
    expect(orders).toHaveLength(1);
    expect(orders[0]!.lines).toEqual([expect.objectContaining({ productId: "bar_choco", qty: 12 })]);
    expect(orders[0]!.address).toBe(address);
    expect(orders[0]!.phone).toBe("79161234567");
    const placed = await botMessages().filter({ hasText: /Заказ №\S+ принят/ }).last().textContent();
    expect(placed).toContain(`Заказ №${orders[0]!.number} принят`);

    // awareness … action, each first reached no earlier than the one before
    const journey = STAGES.slice(0, STAGES.indexOf("action") + 1);
    expect(Object.keys(contact!.stagesReached).sort()).toEqual([...journey].sort());
    const times = journey.map((s) => contact!.stagesReached[s]!);
    expect(times).toEqual([...times].sort((a, b) => a - b));
  });

  it("shows the same conversation after a reload, and disables old buttons once one is clicked", async () => {
    const before = await botMessages().allTextContents();
    expect(before.length).toBeGreaterThan(10);
    const everything = await page.locator("#log .msg").allTextContents();
    const mine = await page.locator("#log .msg.me").allTextContents();
    expect(mine).toContain("Пресненская наб., 10, офис 1204");
    const session = await sessionCookie();

    await page.reload();
    await expect.poll(() => botMessages().count(), { timeout: 10_000 }).toBeGreaterThanOrEqual(before.length);
    // the whole conversation comes back from the server, in order, the customer's own messages too
    expect((await botMessages().allTextContents()).slice(0, before.length)).toEqual(before);
    expect(await page.locator("#log .msg.me").allTextContents()).toEqual(mine);
    expect((await page.locator("#log .msg").allTextContents()).slice(0, everything.length)).toEqual(everything);
    expect(await sessionCookie()).toBe(session);
    await expect(botMessages().first().locator("button", { hasText: "Каталог" }).count()).resolves.toBe(1);

    // write to the bot and wait until the page shows everything the server sent
    const posted = page.waitForResponse((r) => r.url().endsWith("/webchat/api/messages") && r.request().method() === "POST");
    await page.locator("#input").fill("меню");
    await page.locator("#send").click();
    expect((await posted).status()).toBe(202);
    await app.idle();
    const sent = await app.store.listOutbox({ conversationKey: `web:${session}`, status: "sent", limit: 500 });
    await expect.poll(() => botMessages().count(), { timeout: 10_000 }).toBe(sent.length);
    await expect(botMessages().last().textContent()).resolves.toContain("Чем помочь?");

    await botMessages().last().locator("button", { hasText: "Каталог" }).click();
    await expect.poll(async () => (await botMessages().last().textContent()) ?? "").toContain("Что посмотрим?");
    const enabledBefore = await page.$$eval("#log .msg.bot", (els) =>
      els.slice(0, -1).flatMap((el) => [...el.querySelectorAll("button")]).filter((b) => !b.disabled).length,
    );
    const disabledBefore = await page.$$eval("#log .msg.bot", (els) =>
      els.slice(0, -1).flatMap((el) => [...el.querySelectorAll("button")]).filter((b) => b.disabled).length,
    );
    expect(enabledBefore).toBe(0);
    expect(disabledBefore).toBeGreaterThan(20);
    expect(await botMessages().last().locator("button:enabled").count()).toBeGreaterThan(0);
  });
});
