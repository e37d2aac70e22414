import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createStaffAccount,
  listStaffAccounts,
  removeStaffAccount,
  setStaffPassword,
  verifyStaffPassword,
} from "../src/staff/accounts.ts";
import { MAX_FAILURES_PER_LOGIN } from "../src/staff/login-limit.ts";
import { startHarness, STAFF_TOKEN, type Harness } from "./support/harness.ts";
import { addStaff, cookiesOf, ORIGIN, postLogin, signIn, staffPost, STAFF_PASSWORD } from "./support/staff.ts";

/**
 * Staff accounts, sign-in and the gate in front of every staff route, over the
 * service's own HTTP server: what a browser or a script is answered.
 */
let h: Harness;
beforeAll(async () => {
  h = await startHarness();
  await addStaff(h.store, "olga", "owner");
  await addStaff(h.store, "anna", "operator");
  await addStaff(h.store, "vera", "viewer");
}, 60_000);
afterAll(async () => h?.close());

const get = (url: string, cookie = "", headers: Record<string, string> = {}) =>
  h.app.http.inject({ method: "GET", url, headers: { host: "localhost:80", ...(cookie ? { cookie } : {}), ...headers } });

describe("staff accounts", () => {
  it("refuse a short password, an unknown role, a bad or taken login, with a message that says why", async () => {
    await expect(createStaffAccount(h.store, { login: "short", role: "operator", password: "123456789" })).rejects.toThrow(/at least 10 characters/);
    await expect(createStaffAccount(h.store, { login: "x y", role: "operator", password: STAFF_PASSWORD })).rejects.toThrow(/latin letters/);
    await expect(createStaffAccount(h.store, { login: "boss", role: "admin" as never, password: STAFF_PASSWORD })).rejects.toThrow(/owner, operator, viewer/);
    await expect(createStaffAccount(h.store, { login: "Anna", role: "viewer", password: STAFF_PASSWORD })).rejects.toThrow(/taken/);
  });

  it("keep no password: the stored record is an scrypt hash, and only the right password verifies", async () => {
    const raw = await h.store.kvGet("staff", "anna");
    expect(raw).not.toContain(STAFF_PASSWORD);
    expect(JSON.parse(raw!).hash).toMatch(/^scrypt\$131072\$8\$1\$/);
    expect((await verifyStaffPassword(h.store, "anna", STAFF_PASSWORD))?.role).toBe("operator");
    expect(await verifyStaffPassword(h.store, "anna", "wrong password!")).toBeNull();
    expect(await verifyStaffPassword(h.store, "nobody", STAFF_PASSWORD)).toBeNull();
    expect((await listStaffAccounts(h.store)).map((a) => `${a.login}:${a.role}`)).toEqual(["anna:operator", "olga:owner", "vera:viewer"]);
  });

  it("end a session when the password changes or the account is removed", async () => {
    await addStaff(h.store, "temp", "operator");
    const first = await signIn(h.app.http, "temp");
    expect((await get("/staff/", first.cookie)).statusCode).toBe(200);
    await setStaffPassword(h.store, "temp", "another long password");
    expect((await get("/staff/", first.cookie)).statusCode).toBe(303);
    const second = await signIn(h.app.http, "temp", "another long password");
    expect((await get("/staff/", second.cookie)).statusCode).toBe(200);
    expect(await removeStaffAccount(h.store, "temp")).toBe(true);
    expect((await get("/staff/", second.cookie)).statusCode).toBe(303);
  });
});

describe("the gate in front of staff routes", () => {
  it("sends a visitor without a session to the login page, whose fields are «Логин» and «Пароль» and button «Войти»", async () => {
    const res = await get("/staff/");
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe("/staff/login?next=%2Fstaff%2F");
    const page = await get("/staff/login");
    expect(page.body).toMatch(/<label for="login">Логин<\/label>/);
    expect(page.body).toMatch(/<label for="password">Пароль<\/label>/);
    expect(page.body).toMatch(/<button type="submit" class="primary">Войти<\/button>/);
    expect((await get("/api/staff")).statusCode).toBe(401);
  });

  it("sets the session cookie HttpOnly and SameSite=Lax, and Secure behind an HTTPS proxy only with TRUST_PROXY", async () => {
    const plain = cookiesOfRaw((await postLogin(h.app.http, "anna", STAFF_PASSWORD)).headers["set-cookie"]);
    expect(plain).toMatch(/^fd_staff=[A-Za-z0-9_-]{40,}; Path=\/; HttpOnly; SameSite=Lax; Max-Age=43200$/);
    // without TRUST_PROXY a forwarded header is not believed
    const spoofed = cookiesOfRaw((await postLogin(h.app.http, "anna", STAFF_PASSWORD, { "x-forwarded-proto": "https" })).headers["set-cookie"]);
    expect(spoofed).not.toMatch(/Secure/);
    const behind = await startHarness({ env: { TRUST_PROXY: "true" } });
    try {
      await addStaff(behind.store, "anna", "operator");
      const res = await postLogin(behind.app.http, "anna", STAFF_PASSWORD, { "x-forwarded-proto": "https", origin: "https://localhost:80" });
      expect(res.statusCode).toBe(303);
      expect(cookiesOfRaw(res.headers["set-cookie"])).toMatch(/; HttpOnly; SameSite=Lax; Max-Age=43200; Secure$/);
    } finally {
      await behind.close();
    }
  });

  it("answers the team only to the owner: an operator and a viewer get 403, the API token works for scripts", async () => {
    const owner = await signIn(h.app.http, "olga");
    const team = await get("/api/staff", owner.cookie);
    expect(team.statusCode).toBe(200);
    expect(team.json().staff.map((s: { login: string }) => s.login)).toEqual(["anna", "olga", "vera"]);
    expect(team.body).not.toContain("scrypt");
    for (const login of ["anna", "vera"]) {
      const who = await signIn(h.app.http, login);
      const res = await get("/api/staff", who.cookie);
      expect(res.statusCode).toBe(403);
      expect(res.json().message).toMatch(/недоступно для роли/);
    }
    expect((await get("/api/staff", "", { authorization: `Bearer ${STAFF_TOKEN}` })).statusCode).toBe(200);
    expect((await get("/api/staff", "", { authorization: "Bearer wrong" })).statusCode).toBe(401);
  });

  it("refuses a sign-out without the CSRF token or from another origin; with both, the session ends everywhere", async () => {
    const anna = await signIn(h.app.http, "anna");
    expect((await staffPost(h.app.http, anna, "/staff/logout", {}, { csrf: null })).statusCode).toBe(403);
    expect((await staffPost(h.app.http, anna, "/staff/logout", {}, { origin: "https://evil.example" })).statusCode).toBe(403);
    expect((await get("/staff/", anna.cookie)).statusCode).toBe(200);
    const out = await staffPost(h.app.http, anna, "/staff/logout", {});
    expect(out.statusCode).toBe(303);
    expect((await get("/staff/", anna.cookie)).statusCode).toBe(303);
  });

  it("refuses a login form posted from another site", async () => {
    const res = await postLogin(h.app.http, "anna", STAFF_PASSWORD, { origin: "https://evil.example" });
    expect(res.statusCode).toBe(403);
    expect(res.headers["set-cookie"]).not.toContain("fd_staff");
  });

  it(`answers 429 with a clear Russian message after ${MAX_FAILURES_PER_LOGIN} wrong passwords, even for the right one`, async () => {
    await addStaff(h.store, "guess", "operator");
    for (let i = 0; i < MAX_FAILURES_PER_LOGIN; i++) {
      const res = await postLogin(h.app.http, "guess", `wrong password ${i}`);
      expect(res.statusCode).toBe(401);
      expect(res.body).toContain("Неверный логин или пароль.");
    }
    const blocked = await postLogin(h.app.http, "guess", STAFF_PASSWORD);
    expect(blocked.statusCode).toBe(429);
    expect(blocked.body).toMatch(/Слишком много неудачных попыток входа\. Попробуйте снова через \d+ мин\./);
    expect(Number(blocked.headers["retry-after"])).toBeGreaterThan(0);
    expect(cookiesOf(blocked.headers["set-cookie"]).fd_staff).toBeUndefined();
  }, 60_000);
});

function cookiesOfRaw(setCookie: string | string[] | undefined): string {
  return [setCookie ?? []].flat().find((c) => c.startsWith("fd_staff=")) ?? "";
}

export { ORIGIN };
