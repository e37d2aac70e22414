import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp, type App } from "../src/app.ts";
import { loadConfig } from "../src/config.ts";
import { RedisStore } from "../src/store/redis.ts";
import { SqliteStore } from "../src/store/sqlite.ts";
import type { Store } from "../src/store/port.ts";
import { WEB_LIMITS } from "../adapters/web/limits.ts";
import { startRedis, uniquePrefix, type RedisHandle } from "./support/redis-server.ts";

/**
 * Two instances of the service on one Redis, as behind a load balancer: a session
 * one issued is good at the other, the limits are counted together, a poll held
 * by one is woken by the other's "sent" event, and the indexed read of new replies
 * agrees with the full list on both stores.
 */
let redis: RedisHandle;
let a: App;
let b: App;
let dataDir: string;

beforeAll(async () => {
  redis = await startRedis();
  dataDir = mkdtempSync(join(tmpdir(), "frontdesk-webredis-"));
  const prefix = uniquePrefix();
  const config = loadConfig({ PORT: "0", HOST: "127.0.0.1", DATA_DIR: dataDir, LOG_LEVEL: "silent" });
  const open = async () =>
    createApp(config, { logger: pino({ level: "silent" }), store: await RedisStore.connect(redis.url, { prefix }), pollMs: 50 });
  a = await open();
  b = await open();
}, 30_000);
afterAll(async () => {
  await a?.close();
  await b?.close();
  await redis?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

const inject = (app: App, method: "GET" | "POST", url: string, cookie?: string, body?: unknown) =>
  app.http.inject({
    method,
    url,
    headers: { ...(cookie ? { cookie } : {}), ...(body !== undefined ? { "content-type": "application/json" } : {}) },
    ...(body !== undefined ? { payload: JSON.stringify(body) } : {}),
  });
async function session(app: App): Promise<string> {
  const res = await inject(app, "POST", "/webchat/api/session", undefined, {});
  return /fd_chat=[^;]+/.exec(String(res.headers["set-cookie"]))![0];
}

describe("web chat on two instances sharing Redis", () => {
  it("a session issued by one instance is good at the other, and its limit is counted across both", async () => {
    const cookie = await session(a);
    expect((await inject(b, "POST", "/webchat/api/session", cookie, {})).json()).toEqual({ ok: true, fresh: true });
    const statuses: number[] = [];
    for (let i = 0; i < WEB_LIMITS.messagesPerSession + 4; i++) {
      statuses.push((await inject(i % 2 ? a : b, "POST", "/webchat/api/messages", cookie, { id: `both${i}x`, text: i === 0 ? "/start" : "меню" })).statusCode);
    }
    expect(statuses.filter((s) => s === 202)).toHaveLength(WEB_LIMITS.messagesPerSession);
    expect(statuses.filter((s) => s === 429)).toHaveLength(4);
  });

  it("a poll held by one instance wakes on the other's sent event", async () => {
    const cookie = await session(a);
    const sid = cookie.split("=")[1]!;
    await inject(a, "POST", "/webchat/api/messages", cookie, { id: "wake01", text: "/start" });
    await a.idle(20_000);
    const after = (await inject(b, "GET", "/webchat/api/messages?after=-1&wait=0", cookie)).json().messages.at(-1).seq as number;
    let done = false;
    const poll = inject(b, "GET", `/webchat/api/messages?after=${after}&wait=25`, cookie).then((r) => {
      done = true;
      return r;
    });
    // B is listening: its subscription to the stream is up once a publish from A reaches its bus
    const heard: string[] = [];
    const off = b.events.subscribe((e) => {
      if (e.conversationKey === `web:${sid}`) heard.push(e.kind);
    });
    // B's reader takes its place in the stream as it starts: publish until B hears one
    await expect
      .poll(
        () => {
          a.events.publish([{ at: Date.now(), kind: "sent", conversationKey: `web:${sid}` }]);
          return heard.length;
        },
        { timeout: 10_000, interval: 200 },
      )
      .toBeGreaterThan(0);
    off();
    const res = await poll; // long before its 25 s
    expect(done).toBe(true);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ messages: [] });
  }, 20_000);
});

describe("the indexed read of new replies", () => {
  const stores: [string, () => Promise<Store>][] = [
    ["SQLite", async () => SqliteStore.open(join(dataDir, `sent-after-${Date.now()}.db`))],
    ["Redis", async () => RedisStore.connect(redis.url, { prefix: uniquePrefix() })],
  ];
  for (const [name, open] of stores) {
    it(`${name}: listSentAfter answers the chat's sent replies after a seq, in order, and nothing else`, async () => {
      const store = await open();
      const config = loadConfig({ PORT: "0", HOST: "127.0.0.1", DATA_DIR: mkdtempSync(join(tmpdir(), "frontdesk-sa-")), LOG_LEVEL: "silent" });
      const app = await createApp(config, { logger: pino({ level: "silent" }), store, pollMs: 50 });
      try {
        const one = await session(app);
        const two = await session(app);
        for (const [i, text] of ["/start", "меню", "каталог", "меню"].entries()) {
          await inject(app, "POST", "/webchat/api/messages", one, { id: `sa${i}one`, text });
          await inject(app, "POST", "/webchat/api/messages", two, { id: `sa${i}two`, text: "/start" });
          await app.idle(20_000);
        }
        const key = `web:${one.split("=")[1]}`;
        const all = await store.listOutbox({ conversationKey: key, status: "sent", limit: 500 });
        expect(all.length).toBeGreaterThan(3);
        for (const after of [-1, 0, all[1]!.seq, all.at(-1)!.seq]) {
          const got = await store.listSentAfter(key, after, 500);
          expect(got.map((o) => o.id)).toEqual(all.filter((o) => o.seq > after).map((o) => o.id));
        }
        expect((await store.listSentAfter(key, -1, 2)).map((o) => o.seq)).toEqual(all.slice(0, 2).map((o) => o.seq));
        expect(await store.listSentAfter("web:nobody", -1, 10)).toEqual([]);
      } finally {
        await app.close();
      }
    }, 60_000);
  }
});
