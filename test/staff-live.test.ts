import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { safeNext } from "../src/http/staff/login.ts";
import { startHarness, DAY, type Harness } from "./support/harness.ts";
import { addStaff, postLogin, signIn, STAFF_PASSWORD, type InjectedStaff } from "./support/staff.ts";

/**
 * The live connection over a real socket (resume by cursor, closed on shutdown), the
 * WhatsApp window on the chat page, the English switch, and sign-in forms from
 * outside (fast-check): never a 500, never a redirect off the site.
 */
let h: Harness;
let base: string;
let anna: InjectedStaff;
beforeAll(async () => {
  h = await startHarness({ env: { WHATSAPP_TEMPLATE_NAME: "service_followup" } });
  await addStaff(h.store, "anna", "operator");
  anna = await signIn(h.app.http, "anna");
  base = await h.app.listen();
}, 60_000);
afterAll(async () => h?.close());

/** read SSE frames until `until` holds for the text so far */
async function readStream(res: Response, until: (text: string) => boolean): Promise<string> {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let text = "";
  while (!until(text)) {
    const { value, done } = await reader.read();
    if (done) break;
    text += decoder.decode(value);
  }
  reader.releaseLock();
  return text;
}

describe("the live connection", () => {
  it("refuses a visitor without a session (401), and resumes after a cursor with what was missed", async () => {
    expect((await fetch(`${base}/staff/events`, { headers: { accept: "text/event-stream" } })).status).toBe(401);
    const head = await h.app.events.head();
    await h.say("telegram", "9501", "оператор");
    const res = await fetch(`${base}/staff/events?after=${encodeURIComponent(head)}`, { headers: { cookie: anna.cookie } });
    expect(res.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
    const text = await readStream(res, (t) => t.includes('"kind":"handoff"'));
    const frames = text.split("\n\n").filter((f) => f.includes("event: desk"));
    const handoff = frames.map((f) => JSON.parse(/data: (.*)/.exec(f)![1]!)).find((d) => d.kind === "handoff");
    expect(handoff).toMatchObject({ key: "telegram:9501", attention: true });
    expect(frames.every((f) => /^id: \S+$/m.test(f))).toBe(true);
    await res.body!.cancel();
  });

  it("says on a WhatsApp chat whose 24-hour window closed that the reply goes as the template", async () => {
    await h.say("whatsapp", "79990001122", "оператор");
    const open = await h.app.http.inject({ method: "GET", url: `/staff/chats/${encodeURIComponent("whatsapp:79990001122")}`, headers: { host: "localhost:80", cookie: anna.cookie } });
    expect(open.body).not.toContain("Окно WhatsApp закрыто");
    h.clock.advance(DAY + 1000);
    const closed = await h.app.http.inject({ method: "GET", url: `/staff/chats/${encodeURIComponent("whatsapp:79990001122")}`, headers: { host: "localhost:80", cookie: anna.cookie } });
    expect(closed.body).toContain("Окно WhatsApp закрыто: клиент писал больше 24 часов назад");
    expect(closed.body).toContain("«service_followup»");
    expect(closed.body).toMatch(/<button type="submit" class="primary">Отправить шаблон<\/button>/);
  });

  it("switches to English and back", async () => {
    const to = await h.app.http.inject({ method: "GET", url: "/staff/lang/en", headers: { host: "localhost:80", cookie: anna.cookie } });
    expect(to.headers["set-cookie"]).toMatch(/^fd_lang=en; Path=\/staff; SameSite=Lax/);
    const page = await h.app.http.inject({ method: "GET", url: "/staff/", headers: { host: "localhost:80", cookie: `${anna.cookie}; fd_lang=en` } });
    expect(page.body).toContain("<h1>Inbox</h1>");
    expect(page.body).toContain('lang="en"');
    const login = await h.app.http.inject({ method: "GET", url: "/staff/login", headers: { host: "localhost:80", cookie: "fd_lang=en" } });
    expect(login.body).toMatch(/<label for="login">Login<\/label>/);
  });

  it("answers any sign-in form with 303/401/403/429, never a 500, and never sends anyone off the site", async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 60 }), fc.string({ maxLength: 40 }), fc.oneof(fc.webUrl(), fc.string({ maxLength: 80 }), fc.constantFrom("//evil.example", "/\\evil.example", "/staff/../..//evil", "javascript:alert(1)")), async (login, password, next) => {
          const res = await h.app.http.inject({
            method: "POST",
            url: "/staff/login",
            headers: { host: "localhost:80", origin: "http://localhost:80", "content-type": "application/x-www-form-urlencoded" },
            payload: new URLSearchParams({ login, password, next, _pre: "x" }).toString(),
          });
          expect([303, 401, 403, 429]).toContain(res.statusCode);
          if (res.statusCode === 303) expect(res.headers.location).toMatch(/^\/staff(\/|$)/);
          expect(res.body).not.toContain("<script>alert");
        },
      ),
      { numRuns: 30 },
    );
    const ok = await postLogin(h.app.http, "anna", STAFF_PASSWORD);
    expect(ok.headers.location).toBe("/staff/");
  }, 60_000);

  it("only ever redirects after sign-in to a page of ours, whatever `next` says", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.webUrl(), fc.string().map((s) => `/staff${s}`), fc.string().map((s) => `//${s}`)), (next) => {
        const to = safeNext(next);
        expect(new URL(to, "http://shop.example").origin).toBe("http://shop.example");
        expect(to).toMatch(/^\/staff(\/|$)/);
      }),
      { numRuns: 2000 },
    );
  });

  it("ends open live connections when the service stops, so it can stop", async () => {
    const res = await fetch(`${base}/staff/events`, { headers: { cookie: anna.cookie } });
    await readStream(res, (t) => t.includes("retry:"));
    const ended = readStream(res, () => false);
    await h.app.close();
    await expect(ended).resolves.toBeTypeOf("string");
    h = { ...h, close: async () => {} } as Harness;
  }, 30_000);
});
