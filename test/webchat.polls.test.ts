import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { Agent, fetch as undiciFetch } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp, type App } from "../src/app.ts";
import { loadConfig } from "../src/config.ts";

/**
 * 300 browser tabs waiting for a reply cost the service nothing: each long-poll is a
 * socket and a timer, woken by the event bus when its chat gets a reply, never a
 * re-read. /healthz stays fast meanwhile (the budget: under 50 ms).
 */
const SESSIONS = 100;
const POLLS_PER_SESSION = 3;
let app: App;
let base: string;
let dataDir: string;
let reads = 0;
const polls = new Agent({ connections: 1000, pipelining: 0 });
const probe = new Agent({ connections: 4 });

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "frontdesk-polls-"));
  const config = loadConfig({ PORT: "0", HOST: "127.0.0.1", DATA_DIR: dataDir, LOG_LEVEL: "silent" });
  // one test machine sets up every chat quickly: the posting limits are raised, the poll caps are the defaults
  const webLimits = { sessionsPerAddress: 10_000, messagesPerSession: 10_000, messagesPerAddress: 10_000 };
  app = await createApp(config, { logger: pino({ level: "silent" }), pollMs: 50, webLimits });
  base = await app.listen();
  const store = app.store;
  const listSentAfter = store.listSentAfter.bind(store);
  store.listSentAfter = (...args) => {
    reads++;
    return listSentAfter(...args);
  };
}, 30_000);
afterAll(async () => {
  await app?.close();
  await polls.close();
  await probe.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

interface Tab {
  cookie: string;
  after: number;
}
async function openTab(messages: string[]): Promise<Tab> {
  const res = await undiciFetch(`${base}/webchat/api/session`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}", dispatcher: probe });
  await res.arrayBuffer();
  const cookie = /fd_chat=[^;]+/.exec(res.headers.get("set-cookie") ?? "")![0];
  for (const [i, text] of messages.entries()) {
    const r = await undiciFetch(`${base}/webchat/api/messages`, {
      method: "POST",
      headers: { "content-type": "application/json", cookie },
      body: JSON.stringify({ id: `tab${i}msg`, text }),
      dispatcher: probe,
    });
    expect(r.status).toBe(202);
    await r.arrayBuffer();
  }
  return { cookie, after: -1 };
}
async function latest(tab: Tab): Promise<number> {
  const res = await undiciFetch(`${base}/webchat/api/messages?after=-1&wait=0`, { headers: { cookie: tab.cookie }, dispatcher: probe });
  const { messages } = (await res.json()) as { messages: { seq: number }[] };
  return messages.at(-1)?.seq ?? -1;
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const openConnections = () => new Promise<number>((resolve, reject) => app.http.server.getConnections((err, n) => (err ? reject(err) : resolve(n))));

describe("idle long-polls", () => {
  it("300 polls waiting on 100 chats (one of them long) leave /healthz under 50 ms and read nothing until a reply", async () => {
    // one long chat (the case that used to re-read the whole outbox every second) and 99 short ones
    const tabs = [await openTab(["/start", ...Array.from({ length: 40 }, (_, i) => (i % 2 ? "меню" : "каталог"))])];
    for (let i = 1; i < SESSIONS; i++) tabs.push(await openTab(["/start"]));
    await app.idle(60_000);
    for (const tab of tabs) tab.after = await latest(tab);
    expect(tabs[0]!.after).toBeGreaterThanOrEqual(40);

    const readsSetUp = reads;
    const waiting = tabs.flatMap((tab, t) =>
      Array.from({ length: POLLS_PER_SESSION }, () =>
        undiciFetch(`${base}/webchat/api/messages?after=${tab.after}&wait=30`, { headers: { cookie: tab.cookie }, dispatcher: polls }).then(async (r) => ({
          t,
          status: r.status,
          messages: ((await r.json()) as { messages: { seq: number; text: string }[] }).messages,
        })),
      ),
    );
    let settled = 0;
    for (const w of waiting) void w.then(() => settled++);
    await expect.poll(openConnections, { timeout: 20_000 }).toBeGreaterThanOrEqual(SESSIONS * POLLS_PER_SESSION);
    // every poll has read once (its chat had nothing new) and now sleeps
    await expect.poll(() => reads - readsSetUp, { timeout: 20_000 }).toBe(SESSIONS * POLLS_PER_SESSION);
    const readsBefore = reads;

    const times: number[] = [];
    for (let i = 0; i < 25; i++) {
      const t0 = performance.now();
      const res = await undiciFetch(`${base}/healthz`, { dispatcher: probe });
      await res.arrayBuffer();
      times.push(performance.now() - t0);
      expect(res.status).toBe(200);
    }
    console.log(`/healthz with ${waiting.length} idle polls: median ${median(times).toFixed(1)} ms, max ${Math.max(...times).toFixed(1)} ms`);
    expect(median(times)).toBeLessThan(50);
    expect(reads - readsBefore).toBe(0); // idle polls read nothing
    expect(settled).toBe(0);

    // a reply to one chat wakes exactly that chat's polls, with only the new replies
    const woken = 7;
    const r = await undiciFetch(`${base}/webchat/api/messages`, {
      method: "POST",
      headers: { "content-type": "application/json", cookie: tabs[woken]!.cookie },
      body: JSON.stringify({ id: "wakeup01", text: "меню" }),
      dispatcher: probe,
    });
    expect(r.status).toBe(202);
    const mine = await Promise.all(waiting.slice(woken * POLLS_PER_SESSION, (woken + 1) * POLLS_PER_SESSION));
    for (const m of mine) {
      expect(m.status).toBe(200);
      expect(m.messages.length).toBeGreaterThan(0);
      expect(m.messages.every((x) => x.seq > tabs[woken]!.after)).toBe(true);
      expect(m.messages.map((x) => x.text).join("\n")).toContain("Чем помочь?");
    }
    expect(settled).toBe(POLLS_PER_SESSION);
    await app.close(); // ends the rest at once (each answers with nothing new)
    const rest = await Promise.all(waiting);
    expect(rest.filter((x) => x.t !== woken).every((x) => x.messages.length === 0)).toBe(true);
  }, 120_000);
});
