import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium } from "./support/chromium.ts";
import { HOUR, startHarness, type Harness } from "./support/harness.ts";
import { waitUntil } from "./support/load.ts";
import { contactByIdentity } from "./support/store.ts";

/**
 * The web inbox as a shop's operator uses it, in a real Chromium: an account made
 * with the CLI, sign-in, a Telegram customer asking for a person appearing live,
 * take, reply, the bot staying silent, hand back. Customers talk through the fake
 * Telegram; what they get is read back from it.
 */
const ROOT = join(import.meta.dirname, "..");
const SHOTS = process.env.STAFF_SHOTS_DIR;
const PASSWORD = "ромашка-пароль-2026";

function cli(args: string[], env: Record<string, string>, stdin: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      process.execPath,
      ["bin/frontdesk.js", ...args],
      { cwd: ROOT, env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...env }, timeout: 60_000 },
      (err, stdout, stderr) => {
        if (err && typeof err.code !== "number") return reject(err);
        resolve({ code: err ? Number(err.code) : 0, stdout, stderr });
      },
    );
    child.stdin!.end(stdin);
  });
}

let h: Harness;
let base: string;
let dataDir: string;
let browser: Browser;
let context: BrowserContext;
let page: Page;
const CUSTOMER = "7001";

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "frontdesk-staff-"));
  mkdirSync(dataDir, { recursive: true });
  const short = await cli(["staff", "add", "anna", "--role", "operator"], { DATA_DIR: dataDir }, "short\n");
  expect(short.code).not.toBe(0);
  expect(short.stderr).toContain("at least 10 characters");
  const made = await cli(["staff", "add", "anna", "--role", "operator"], { DATA_DIR: dataDir }, `${PASSWORD}\n`);
  expect(made.stderr).toBe("");
  expect(made.stdout).toContain("added anna (operator)");
  const listed = await cli(["staff", "list"], { DATA_DIR: dataDir }, "");
  expect(listed.stdout).toMatch(/^anna\s+operator\s+added \d{4}-\d{2}-\d{2}$/m);

  h = await startHarness({ dataDir });
  base = await h.app.listen();
  browser = await launchChromium();
  context = await browser.newContext({ locale: "ru-RU", viewport: { width: 1280, height: 860 } });
  page = await context.newPage();
  page.setDefaultTimeout(15_000);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await h?.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

const tgReplies = () => h.drivers.telegram.replies(CUSTOMER).map((r) => r.text);
/** with STAFF_SHOTS_DIR set: the page at desktop and phone width, for a person to look at */
const shot = async (name: string) => {
  if (!SHOTS) return;
  await page.screenshot({ path: join(SHOTS, `${name}-desktop.png`), fullPage: true });
  await page.setViewportSize({ width: 390, height: 844 });
  await page.screenshot({ path: join(SHOTS, `${name}-phone.png`), fullPage: true });
  await page.setViewportSize({ width: 1280, height: 860 });
};

describe("the staff inbox in Chromium", () => {
  it("sends a visitor to the login page, and lets the CLI-made operator in", async () => {
    await page.goto(`${base}/staff/`);
    await page.waitForURL(/\/staff\/login/);
    await shot("login");
    await page.getByLabel("Логин").fill("anna");
    await page.getByLabel("Пароль").fill(PASSWORD);
    await page.getByRole("button", { name: "Войти" }).click();
    await page.waitForURL(`${base}/staff/`);
    await page.getByText("Сейчас никто не ждёт ответа").waitFor();
    await page.locator("#live-state", { hasText: "в сети" }).waitFor();
  });

  it("shows a Telegram customer who writes «оператор» without a reload, counting it in the tab title", async () => {
    const replies = await h.say("telegram", CUSTOMER, "оператор");
    expect(replies.map((r) => r.text).join("\n")).toMatch(/сотрудник|оператор|человек/i);
    const row = page.locator(".row", { hasText: "Аристарх" });
    await row.waitFor();
    await expect.poll(() => page.title()).toMatch(/^\(1\) /);
    await expect.poll(() => row.textContent()).toMatch(/Telegram.*Покупатели.*просит человека/s);
    expect(await row.locator(".last").textContent()).toContain("оператор");
  });

  it("takes the chat and replies: the fake Telegram gets the reply in that chat", async () => {
    await page.locator(".row", { hasText: "Аристарх" }).click();
    await page.waitForURL(/\/staff\/chats\/telegram%3A7001$/);
    await expect.poll(() => page.title()).not.toMatch(/^\(\d+\)/);
    await page.getByRole("button", { name: "Взять" }).click();
    await page.locator("#owner-now", { hasText: "anna" }).waitFor();
    await waitUntil(() => tgReplies().some((t) => t.includes("anna на связи")), 10_000, () => JSON.stringify(tgReplies()));

    await page.getByLabel("Сообщение").fill("Здравствуйте, {name}! Сейчас посмотрю ваш вопрос.");
    await page.getByRole("button", { name: "Отправить" }).click();
    await waitUntil(() => tgReplies().includes("Здравствуйте, Аристарх! Сейчас посмотрю ваш вопрос."), 10_000, () => JSON.stringify(tgReplies()));
    await page.locator("#history .msg.staff", { hasText: "Сейчас посмотрю ваш вопрос" }).waitFor();
  });

  it("keeps the bot silent while staff own the chat, and shows the customer's next message live", async () => {
    const before = tgReplies().length;
    const replies = await h.say("telegram", CUSTOMER, "Батончик пришёл мятый, что делать?");
    expect(replies).toEqual([]);
    await page.locator("#history .msg.in", { hasText: "Батончик пришёл мятый" }).waitFor();
    await h.app.idle();
    expect(tgReplies().length).toBe(before);
    await shot("chat");
  });

  it("hands back to the bot: the flow answers again", async () => {
    await page.getByRole("button", { name: "Вернуть боту" }).click();
    await page.locator("#owner-now", { hasText: "Сейчас отвечает бот" }).waitFor();
    await waitUntil(() => tgReplies().length > 0 && /бот|меню|помочь/i.test(tgReplies().at(-1)!), 10_000, () => JSON.stringify(tgReplies().slice(-2)));
    const menu = await h.say("telegram", CUSTOMER, "меню");
    expect(menu.length).toBeGreaterThan(0);
    expect(menu.at(-1)!.choices.map((c) => c.label)).toContain("Каталог");
  });

  it("puts a CSAT of 2 at the top of the inbox, marked as a bad moment", async () => {
    // another customer asks for a person first, so they have waited longer
    await h.say("telegram", "7002", "оператор");
    // a third orders, gets it delivered and rates it 2
    const buyer = "7003";
    await h.say("telegram", buyer, "/start");
    for (const label of ["Каталог", "Протеиновые батончики", "Шоколадный брауни", "6 шт", "Оформить заказ", "Самовывоз"]) {
      await h.tap("telegram", buyer, label);
    }
    await h.say("telegram", buyer, { phone: "+7 916 555-01-02" });
    await h.tap("telegram", buyer, "Заказать");
    const [order] = await h.store.listOrders({ contactId: (await contactByIdentity(h.store, "telegram", buyer))!.id });
    expect((await h.staff("POST", `/api/orders/${order!.id}/status`, { status: "delivered" })).status).toBe(202);
    await h.later(2 * HOUR + 1000);
    await h.tap("telegram", buyer, /^2$/);

    await page.goto(`${base}/staff/`);
    const first = page.locator(".rows > li").first();
    await expect.poll(() => first.textContent()).toMatch(/плохая оценка/);
    expect(await first.locator(".tag.bad", { hasText: "плохой момент" }).count()).toBe(1);
    expect(await page.locator(".rows > li").count()).toBeGreaterThanOrEqual(2);
    await shot("inbox");
  });

  it("shows a customer's HTML as text, never as markup", async () => {
    const xss = "7004";
    await h.say("telegram", xss, "оператор");
    await h.say("telegram", xss, "<img src=x onerror=window.__pwned=1> и <script>window.__pwned=2</script>");
    const row = page.locator(".row", { hasText: "<img src=x onerror" });
    await row.waitFor();
    expect(await row.locator(".last").textContent()).toContain("<script>window.__pwned=2</script>");
    expect(await page.locator(".rows img, .rows script").count()).toBe(0);
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    await row.click();
    await page.locator("#history .msg.in", { hasText: "<script>window.__pwned=2</script>" }).waitFor();
    expect(await page.locator("#history img, #history script").count()).toBe(0);
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
  });
});
