import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Channel } from "../src/model/channel.ts";
import { FUZZ_ROUTES, fuzzCase, type FuzzContext, type FuzzRequest } from "./fuzz/routes.ts";
import { startHarness, type Harness } from "./support/harness.ts";
import { contactByIdentity } from "./support/store.ts";

/**
 * Every public route against generated and mutated bodies, signed and forged
 * (FUZZ_RUNS cases per route; CI runs the default, `npm run fuzz` many more).
 * Holds: no 5xx, the process alive, no send for any unauthenticated body, and
 * exactly one reply per valid unique message (a redelivery adds nothing).
 */
const RUNS = Number(process.env.FUZZ_RUNS ?? 300);
const SEED = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);

let h: Harness;
let n = 0;
const authenticBodies: string[] = [];
const valid: { channel: Channel; chat: string }[] = [];
/** web-chat sessions the server issued to this run's authentic requests */
const issued = new Set<string>();
const stats = new Map<string, { bodies: number; authentic: number; forged: number; valid: number; "2xx": number; "3xx": number; "4xx": number; "5xx": number }>();

beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => h?.close());

const ctx = (): FuzzContext => ({
  h,
  next: () => ++n,
  async webSession() {
    const user = `fuzz-web-${++n}`;
    const [cookie, session] = await Promise.all([h.webCookie(user), h.platformUser("web", user)]);
    issued.add(session);
    return { cookie, session };
  },
});

async function send(req: FuzzRequest) {
  return h.app.http.inject({ method: req.method, url: req.url, headers: req.headers, ...(req.body !== undefined ? { payload: req.body } : {}) });
}

describe(`fuzzer: ${RUNS} cases per public route`, () => {
  for (const route of FUZZ_ROUTES) {
    it(`${route.name}: no 5xx, forged requests refused`, async () => {
      const s = { bodies: 0, authentic: 0, forged: 0, valid: 0, "2xx": 0, "3xx": 0, "4xx": 0, "5xx": 0 };
      stats.set(route.name, s);
      const c = ctx();
      await fc.assert(
        fc.asyncProperty(fuzzCase(), async (fcase) => {
          const req = await route.build(fcase, c);
          if (req.authentic) authenticBodies.push(`${req.url}\n${req.body ?? ""}`);
          if (req.valid) valid.push(req.valid);
          for (let i = 0; i < (req.twice ? 2 : 1); i++) {
            const res = await send(req);
            s.bodies++;
            s[req.authentic ? "authentic" : "forged"]++;
            if (req.valid) s.valid++;
            const bucket = `${Math.floor(res.statusCode / 100)}xx` as "2xx" | "3xx" | "4xx" | "5xx";
            s[bucket]++;
            expect(res.statusCode, `${req.method} ${req.url} ${JSON.stringify(req.body?.slice(0, 200))} → ${res.body.slice(0, 200)}`).toBeLessThan(500);
            if (req.valid) expect(res.statusCode, res.body).toBeLessThan(300);
            // a forged staff call never gets an answer with data (401, or 400/404 for a URL broken before routing)
            if (route.name === "staff API" && !req.authentic) expect([400, 401, 404], res.body).toContain(res.statusCode);
            // the verify endpoint echoes a challenge only for the right token
            if (req.challenge !== undefined && res.statusCode === 200) {
              expect(req.authentic).toBe(true);
              expect(res.body).toBe(req.challenge);
            }
            if (req.challenge !== undefined && req.authentic) expect(res.statusCode).toBe(200);
          }
        }),
        { numRuns: RUNS, ...(SEED !== undefined ? { seed: SEED } : {}), endOnFailure: true },
      );
    }, 600_000);
  }

  it("sends only for authentic requests, exactly one reply per valid message, and stays up", async () => {
    await h.app.idle(300_000);
    expect((await h.app.http.inject({ method: "GET", url: "/healthz" })).statusCode).toBe(200);

    const sent: { channel: Channel; chat: string }[] = [
      ...h.telegram.calls.filter((x) => (x.method === "sendMessage" || x.method === "sendPhoto") && x.status === 200).map((x) => ({ channel: "telegram" as const, chat: String(x.params.chat_id) })),
      ...h.whatsapp.messages().map((x) => ({ channel: "whatsapp" as const, chat: String(x.body.to) })),
      ...h.vk.delivered().map((x) => ({ channel: "vk" as const, chat: x.peerId })),
      ...h.max.sent().map((x) => ({ channel: "max" as const, chat: x.chatId })),
    ];
    // every send goes to a chat named in an authentic request (a forged body's chat never gets one)
    const everything = authenticBodies.join("\n");
    const unexplained = sent.filter((x) => !everything.includes(x.chat));
    expect(unexplained).toEqual([]);

    // each valid message: processed once, every reply it produced sent once
    const problems: string[] = [];
    for (const v of valid) {
      const key = `${v.channel}:${v.chat}`;
      const contact = await contactByIdentity(h.store, v.channel, v.chat);
      const ins = contact ? (await h.store.listTouchpoints(contact.id, 100)).filter((t) => t.conversationKey === key && t.kind === "message_in") : [];
      const outbox = await h.store.listOutbox({ conversationKey: key, limit: 100 });
      const delivered = v.channel === "web" ? outbox.filter((o) => o.status === "sent").length : sent.filter((x) => x.channel === v.channel && x.chat === v.chat).length;
      if (ins.length !== 1) problems.push(`${key}: ${ins.length} messages in`);
      if (outbox.length === 0) problems.push(`${key}: no reply`);
      if (outbox.some((o) => o.status !== "sent")) problems.push(`${key}: replies not sent: ${outbox.map((o) => o.status).join(",")}`);
      if (delivered !== outbox.length) problems.push(`${key}: ${delivered} sends for ${outbox.length} replies`);
    }
    expect(problems).toEqual([]);

    // web chats exist only for sessions the server issued to authentic requests
    const web = (await h.store.listConversations({ limit: 100_000 })).filter((cv) => cv.channel === "web");
    expect(web.length).toBeGreaterThan(0);
    expect(web.filter((cv) => !issued.has(cv.chatId)).map((cv) => cv.key)).toEqual([]);

    const rows = [...stats.entries()].map(([route, s]) => ({ route, ...s }));
    const total = rows.reduce((a, r) => a + r.bodies, 0);
    const perChannel = ["telegram", "whatsapp", "vk", "max"].map((ch) => `${ch} ${sent.filter((x) => x.channel === ch).length}`).join(", ");
    console.log(
      [
        `fuzzer: ${total} requests over ${rows.length} routes (${RUNS} cases each${SEED !== undefined ? `, seed ${SEED}` : ""})`,
        ...rows.map((r) => `  ${r.route.padEnd(30)} ${String(r.bodies).padStart(6)} bodies  authentic ${r.authentic}  forged ${r.forged}  valid msgs ${r.valid}  2xx ${r["2xx"]}  4xx ${r["4xx"]}  5xx ${r["5xx"]}`),
        `  sends at the fake platforms: ${sent.length} (${perChannel}); web replies ${(await h.store.listOutbox({ status: "sent", limit: 100_000 })).filter((o) => o.channel === "web").length}`,
        `  valid unique messages: ${valid.length}, each answered once; sends to chats of forged requests: ${unexplained.length}`,
      ].join("\n"),
    );
  }, 600_000);
});
