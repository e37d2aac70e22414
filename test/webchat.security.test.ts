import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp, type App } from "../src/app.ts";
import { loadConfig } from "../src/config.ts";
import { launchChromium } from "./support/chromium.ts";

/**
 * The web chat's session is the customer's only credential: the server issues it,
 * the browser keeps it in an HttpOnly cookie, and nothing a link or a script
 * supplies is ever adopted. Each person here is a browser context of their own.
 */
let app: App;
let base: string;
let dataDir: string;
let browser: Browser;
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "frontdesk-websec-"));
  app = await createApp(loadConfig({ PORT: "0", HOST: "127.0.0.1", DATA_DIR: dataDir, LOG_LEVEL: "silent" }));
  base = await app.listen();
  browser = await launchChromium();
}, 40_000);

afterAll(async () => {
  await browser?.close();
  await app?.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

async function person(): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ locale: "ru-RU", viewport: { width: 390, height: 844 } });
  contexts.push(context);
  await context.route("**/*", (route) => (new URL(route.request().url()).hostname === "127.0.0.1" ? route.continue() : route.abort()));
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  return { context, page };
}
const sessionOf = async (context: BrowserContext) => (await context.cookies()).find((c) => c.name === "fd_chat");
const bot = (page: Page) => page.locator("#log .msg.bot");

/** GET the chat as someone holding `cookie` (what an attacker's script would do) */
const readAs = (cookie: string | undefined, path = "/webchat/api/messages?after=-1&history=1&wait=0") =>
  fetch(base + path, { headers: cookie ? { cookie } : {} });

describe("web-chat sessions", () => {
  it("a /?session= link plants nothing: the victim gets a session of their own and the attacker reads none of it", async () => {
    // the attacker opens the chat and gets a real session
    const attacker = await person();
    await attacker.page.goto(`${base}/`);
    await bot(attacker.page).first().waitFor();
    const planted = (await sessionOf(attacker.context))!.value;

    // and sends the victim a link carrying it (and a made-up one, as old pages took either)
    const victim = await person();
    await victim.page.goto(`${base}/?session=${planted}`);
    await bot(victim.page).filter({ hasText: "Здравствуйте" }).first().waitFor();
    await victim.page.locator("#input").fill("Доставьте на Тверскую, 7, кв. 12");
    await victim.page.locator("#send").click();
    await victim.page.locator("#log .msg.me", { hasText: "Тверскую" }).waitFor();
    const own = (await sessionOf(victim.context))!;
    expect(own.value).not.toBe(planted);
    expect(own.httpOnly).toBe(true);
    expect(own.sameSite).toBe("Lax");
    expect(own.value).toMatch(/^[A-Za-z0-9_-]{22}$/);
    await app.idle();

    // the attacker's session holds only the attacker's greeting
    const seen = await readAs(`fd_chat=${planted}`);
    expect(seen.status).toBe(200);
    expect(JSON.stringify(await seen.json())).not.toContain("Тверскую");
    const page = await attacker.page.reload().then(() => bot(attacker.page).first().waitFor());
    expect(page).toBeUndefined();
    await expect(attacker.page.locator("#log").textContent()).resolves.not.toContain("Тверскую");

    // the victim's page, reloaded, still shows it: the session is theirs
    await victim.page.reload();
    await victim.page.locator("#log .msg.me", { hasText: "Тверскую" }).waitFor();
  });

  it("a forged or guessed session reads nothing and writes nothing", async () => {
    const forged = ["fd_chat=AAAAAAAAAAAAAAAAAAAAAA", "fd_chat=w1234567890abcdef12345678", "fd_chat=../../etc", "fd_chat="];
    for (const cookie of [...forged, undefined]) {
      const res = await readAs(cookie);
      expect(res.status, cookie).toBe(401);
      expect(await res.json()).toEqual(expect.objectContaining({ error: "no_session" }));
      const post = await fetch(`${base}/webchat/api/messages`, {
        method: "POST",
        headers: { "content-type": "application/json", ...(cookie ? { cookie } : {}) },
        body: JSON.stringify({ text: "привет" }),
      });
      expect(post.status, cookie).toBe(401);
    }
    // a session named in the body or the query is not a thing any more
    const opened = await fetch(`${base}/webchat/api/session`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
    const cookie = /fd_chat=[^;]+/.exec(opened.headers.get("set-cookie") ?? "")![0];
    const other = "AAAAAAAAAAAAAAAAAAAAAB";
    const inBody = await fetch(`${base}/webchat/api/messages`, {
      method: "POST",
      headers: { "content-type": "application/json", cookie },
      body: JSON.stringify({ session: other, text: "привет" }),
    });
    expect(inBody.status).toBe(400);
    expect((await readAs(cookie, `/webchat/api/messages?session=${other}&after=-1&wait=0`)).status).toBe(400);
    expect(await app.store.getConversation(`web:${other}`)).toBeNull();
  });

  it("a page whose session expired or was never valid starts a new chat by itself", async () => {
    const { context, page } = await person();
    await context.addCookies([{ name: "fd_chat", value: "ZZZZZZZZZZZZZZZZZZZZZZ", url: `${base}/webchat/` }]);
    // what older pages left behind: a client-made id in localStorage
    await page.goto(`${base}/`);
    await page.evaluate(() => localStorage.setItem("frontdesk.session", "not a session!"));
    await page.reload();
    await bot(page).filter({ hasText: "Здравствуйте" }).first().waitFor();
    expect((await sessionOf(context))!.value).not.toBe("ZZZZZZZZZZZZZZZZZZZZZZ");
    expect(await page.evaluate(() => localStorage.getItem("frontdesk.session"))).toBeNull();
    await expect.poll(() => page.locator("#status").getAttribute("class")).toContain("online");

    // the session ends under an open page (expired, or the shop cleared it): the next message opens a new one
    await context.clearCookies();
    await page.locator("#input").fill("меню");
    await page.locator("#send").click();
    await bot(page).filter({ hasText: "Здравствуйте" }).first().waitFor();
    await expect.poll(async () => (await sessionOf(context))?.value ?? "").toMatch(/^[A-Za-z0-9_-]{22}$/);
    await expect.poll(() => page.locator(".notice", { hasText: "начали новый" }).count()).toBe(1);
  });
});

describe("security headers", () => {
  it("every page and API answer carries CSP without inline script, nosniff, frame-ancestors and a referrer policy", async () => {
    for (const path of ["/", "/webchat/chat.js", "/webchat/chat.css", "/healthz", "/webchat/api/messages", "/api/inbox", "/no-such-page"]) {
      const res = await fetch(base + path);
      const csp = res.headers.get("content-security-policy") ?? "";
      expect(csp, path).toContain("script-src 'self'");
      expect(csp, path).not.toContain("unsafe-inline");
      expect(csp, path).toContain("frame-ancestors 'none'");
      expect(csp, path).toContain("default-src 'self'");
      expect(res.headers.get("x-content-type-options"), path).toBe("nosniff");
      expect(res.headers.get("referrer-policy"), path).toBe("same-origin");
      expect(res.headers.get("x-frame-options"), path).toBe("DENY");
    }
    const html = await (await fetch(`${base}/`)).text();
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(html).not.toMatch(/<style/);
    expect(html).not.toMatch(/\son[a-z]+=/);
  });

  it("the page runs under that policy with no violation", async () => {
    const { page } = await person();
    const violations: string[] = [];
    page.on("console", (m) => {
      if (/Content Security Policy|Refused to/i.test(m.text())) violations.push(m.text());
    });
    await page.goto(`${base}/`);
    await bot(page).filter({ hasText: "Здравствуйте" }).first().waitFor();
    expect(await page.locator("header h1").textContent()).toBe("ФитПерекус");
    expect(violations).toEqual([]);
  });
});
