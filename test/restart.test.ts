import { spawn, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { Choice, RenderedPart } from "../src/model/outbound.ts";
import { SqliteStore } from "../src/store/sqlite.ts";
import { freePort } from "./support/ports.ts";
import { waitUntil } from "./support/load.ts";

/**
 * The service as an operator runs it: `node --import tsx src/main.ts` in its own
 * process, talked to over the web chat's HTTP API. A graceful stop (SIGTERM) and a
 * crash (SIGKILL) in the middle of an order must both leave the conversation where
 * it was, with every acknowledged message answered once the service is back.
 */

const ROOT = join(import.meta.dirname, "..");
const TOKEN = "restart-test-staff-token-0123456789abcdef";
const dirs: string[] = [];
const running = new Set<ChildProcess>();

afterAll(() => {
  for (const p of running) p.kill("SIGKILL");
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), "frontdesk-restart-"));
  dirs.push(d);
  return d;
}


/** The parent's environment without anything that would switch a channel or the store on. */
function serviceEnv(port: number, dataDir: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^(TELEGRAM_|WHATSAPP_|VK_|MAX_|REDIS_URL|STAFF_API_TOKEN|PUBLIC_URL|FLOWS_DIR|PORT$|HOST$|DATA_DIR$|LOG_LEVEL$)/.test(k)) continue;
    env[k] = v;
  }
  return { ...env, PORT: String(port), HOST: "127.0.0.1", DATA_DIR: dataDir, LOG_LEVEL: "warn", STAFF_API_TOKEN: TOKEN };
}

interface Service {
  base: string;
  proc: ChildProcess;
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

async function startService(port: number, dataDir: string): Promise<Service> {
  const proc = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], { cwd: ROOT, env: serviceEnv(port, dataDir), stdio: ["ignore", "pipe", "pipe"] });
  running.add(proc);
  let out = "";
  proc.stdout!.on("data", (b: Buffer) => (out += b.toString()));
  proc.stderr!.on("data", (b: Buffer) => (out += b.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.once("exit", (code, signal) => {
      running.delete(proc);
      resolve({ code, signal });
    }),
  );
  let dead = false;
  void exited.then(() => (dead = true));
  const base = `http://127.0.0.1:${port}`;
  for (const path of ["/healthz", "/readyz"]) {
    const up = async () => {
      if (dead) throw new Error(`the service exited while starting:\n${out}`);
      return (await fetch(base + path).then((r) => r.status, () => 0)) === 200;
    };
    await waitUntil(up, 20_000, () => `${path} not 200 after 20 s:\n${out}`);
  }
  return { base, proc, output: () => out, exited };
}

async function stopWith(service: Service, signal: NodeJS.Signals, withinMs: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  service.proc.kill(signal);
  const timeout = new Promise<never>((_, reject) =>
    setTimeout(() => reject(new Error(`still running ${withinMs} ms after ${signal}:\n${service.output()}`)), withinMs).unref(),
  );
  return Promise.race([service.exited, timeout]);
}

type WebMessage = RenderedPart & { seq: number };

function choicesOf(m: WebMessage): Choice[] {
  return [...(m.buttons ?? []).flat(), ...(m.list?.rows ?? [])];
}

/** One browser tab's worth of web chat, spoken over HTTP the way page.html speaks it. */
class WebChat {
  seen: WebMessage[] = [];
  base: string;
  /** the session the server issued (set by open(), the first thing a page does) */
  session = "";
  constructor(base: string) {
    this.base = base;
  }

  /** the session cookie, opening the session on first use as the page does */
  async cookie(): Promise<string> {
    if (!this.session) {
      const res = await fetch(`${this.base}/webchat/api/session`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
      await res.arrayBuffer();
      const id = /fd_chat=([A-Za-z0-9_-]+)/.exec(res.headers.get("set-cookie") ?? "")?.[1];
      if (!id) throw new Error(`no session issued: ${res.status}`);
      this.session = id;
    }
    return `fd_chat=${this.session}`;
  }

  /** post one message; returns the HTTP status (202 = in the journal) */
  async post(body: { text?: string; buttonId?: string; phone?: string; source?: string }): Promise<number> {
    const res = await fetch(`${this.base}/webchat/api/messages`, {
      method: "POST",
      headers: { "content-type": "application/json", cookie: await this.cookie() },
      body: JSON.stringify({ id: `m${randomUUID().replace(/-/g, "")}`, ...body }),
    });
    await res.arrayBuffer();
    return res.status;
  }

  /** long-poll until a reply after those seen so far has text containing `text` */
  async until(text: string | RegExp, timeoutMs = 10_000): Promise<WebMessage> {
    const deadline = Date.now() + timeoutMs;
    const from = this.seen.length;
    const match = (m: WebMessage) => (typeof text === "string" ? m.text.includes(text) : text.test(m.text));
    for (;;) {
      const hit = this.seen.slice(from).find(match);
      if (hit) return hit;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no reply matching ${text} to ${this.session}; got: ${JSON.stringify(this.seen.slice(from).map((m) => m.text))}`);
      const after = this.seen.at(-1)?.seq ?? -1;
      const wait = Math.max(0, Math.min(2, Math.floor(left / 1000)));
      const res = await fetch(`${this.base}/webchat/api/messages?after=${after}&wait=${wait}`, { headers: { cookie: await this.cookie() } });
      const { messages } = (await res.json()) as { messages: WebMessage[] };
      this.seen.push(...messages);
    }
  }

  /** press the button labelled `label` in the latest message that has one, wait for `expect` */
  async tap(label: string, expectText: string | RegExp): Promise<WebMessage> {
    for (let i = this.seen.length - 1; i >= 0; i--) {
      const hit = choicesOf(this.seen[i]!).find((c) => c.label === label);
      if (hit) {
        expect(await this.post({ buttonId: hit.id })).toBe(202);
        return this.until(expectText);
      }
    }
    throw new Error(`no button «${label}» in ${JSON.stringify(this.seen.slice(-2))}`);
  }

  async say(body: { text?: string; phone?: string; source?: string }, expectText: string | RegExp): Promise<WebMessage> {
    expect(await this.post(body)).toBe(202);
    return this.until(expectText);
  }
}

/** from the greeting to the cart with 12 chocolate brownies, waiting on «Оформляем?» */
async function toCart(chat: WebChat): Promise<void> {
  await chat.say({ text: "/start", source: "gym_flyer" }, "Здравствуйте!");
  await chat.tap("Каталог", "Что посмотрим?");
  await chat.tap("Протеиновые батончики", "выберите");
  await chat.tap("Шоколадный брауни", "В упаковке:");
  await chat.tap("🛒 12 шт.", "Оформляем?");
}

async function staff(base: string, path: string): Promise<any> {
  const res = await fetch(base + path, { headers: { authorization: `Bearer ${TOKEN}` } });
  expect(res.status, path).toBe(200);
  return res.json();
}

describe("restarting the service", () => {
  it("SIGTERM mid-order: exits 0, and after a restart the order continues at the same step with the journey intact", async () => {
    const dataDir = tempDir();
    const port = await freePort();
    let svc = await startService(port, dataDir);
    const chat = new WebChat(svc.base);
    await toCart(chat);
    const before = await staff(svc.base, `/api/contacts?audience=customer`);
    const contactId = (before.contacts as { id: string; identities: { channel: string; userId: string }[] }[]).find((c) =>
      c.identities.some((i) => i.channel === "web" && i.userId === chat.session),
    )?.id;
    expect(contactId).toBeDefined();
    const journeyBefore = await staff(svc.base, `/api/contacts/${contactId}`);

    const t0 = Date.now();
    expect(await stopWith(svc, "SIGTERM", 8_000), svc.output()).toEqual({ code: 0, signal: null });
    expect(Date.now() - t0).toBeLessThan(5_000);

    svc = await startService(port, dataDir);
    chat.base = svc.base;
    await chat.tap("Оформить заказ", "Как удобнее получить заказ?");
    await chat.tap("Курьер в офис", "Напишите адрес");
    await chat.say({ text: "Пресненская наб., 10, офис 1204" }, "Телефон для связи");
    await chat.say({ phone: "+7 916 123-45-67" }, "Всё верно?");
    await chat.tap("✅ Заказать", /Заказ №\S+ принят/);

    // Every reply once, in order, before and after the restart.
    const all = await fetch(`${svc.base}/webchat/api/messages?after=-1&wait=0`, { headers: { cookie: await chat.cookie() } }).then((r) => r.json() as Promise<{ messages: WebMessage[] }>);
    const seqs = all.messages.map((m) => m.seq);
    expect(new Set(seqs).size).toBe(seqs.length);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(all.messages.filter((m) => m.text.startsWith("Здравствуйте!"))).toHaveLength(1);
    expect(all.messages.filter((m) => m.text === "Оформляем?")).toHaveLength(1);

    const journey = await staff(svc.base, `/api/contacts/${contactId}`);
    expect(journey.contact.source).toBe("gym_flyer");
    expect(Object.keys(journey.contact.stagesReached).sort()).toEqual(["action", "awareness", "comparison", "desire", "interest", "research"].sort());
    // the touchpoints from before the stop are all still there, followed by the new ones
    const ids = (journey.touchpoints as { id: string }[]).map((t) => t.id);
    for (const tp of journeyBefore.touchpoints as { id: string }[]) expect(ids).toContain(tp.id);
    expect(ids.length).toBeGreaterThan(journeyBefore.touchpoints.length);
    expect(journey.orders).toHaveLength(1);
    expect(journey.orders[0].lines).toEqual([expect.objectContaining({ productId: "bar_choco", qty: 12 })]);
    expect(journey.orders[0].phone).toBe("79161234567");

    expect(await stopWith(svc, "SIGTERM", 8_000)).toEqual({ code: 0, signal: null });
    // The file on disk agrees with what the API said.
    const store = SqliteStore.open(join(dataDir, "frontdesk.db"));
    try {
      const orders = await store.listOrders({ contactId: contactId! });
      expect(orders.map((o) => o.lines.map((l) => `${l.productId}×${l.qty}`))).toEqual([["bar_choco×12"]]);
      expect((await store.listTouchpoints(contactId!, 1000)).length).toBe(journey.touchpoints.length);
      expect(await store.pendingInbound()).toBe(0);
    } finally {
      await store.close();
    }
  }, 40_000);

  it("SIGTERM while a browser tab is long-polling for replies: still exits 0 within a few seconds", async () => {
    const svc = await startService(await freePort(), tempDir());
    const chat = new WebChat(svc.base);
    await chat.say({ text: "/start" }, "Здравствуйте!");
    // what page.html keeps open all the time: GET …&wait=25
    const longPoll = fetch(`${svc.base}/webchat/api/messages?after=${chat.seen.at(-1)!.seq}&wait=25`, { headers: { cookie: await chat.cookie() } }).then(
      (r) => r.status,
      () => 0,
    );
    await new Promise((r) => setTimeout(r, 300));
    // Fastify's close waits for in-flight requests: the long-poll must end on close, not after 25 s
    const exit = await stopWith(svc, "SIGTERM", 5_000);
    expect(exit, svc.output()).toEqual({ code: 0, signal: null });
    await longPoll;
  }, 20_000);

  it("SIGKILL right after the webhooks were acknowledged: every acknowledged message is answered after the restart, once", async () => {
    const dataDir = tempDir();
    const port = await freePort();
    let svc = await startService(port, dataDir);
    // Each customer's whole way to the cart, posted at once: the engine takes them in order.
    const script: { text?: string; buttonId?: string; source?: string }[] = [
      { text: "/start", source: "vk_ads" },
      { buttonId: "catalogue" },
      { buttonId: "bars" },
      { buttonId: "bar_choco" },
      { buttonId: "add12" },
    ];
    const chats = Array.from({ length: 8 }, () => new WebChat(svc.base));
    const acked = await Promise.all(chats.map(async (c) => {
      const statuses: number[] = [];
      for (const body of script) statuses.push(await c.post(body));
      return statuses;
    }));
    expect(acked.flat().every((s) => s === 202)).toBe(true);
    const exit = await stopWith(svc, "SIGKILL", 5_000);
    expect(exit.signal).toBe("SIGKILL");

    svc = await startService(port, dataDir);
    const t0 = Date.now();
    await Promise.all(
      chats.map(async (c) => {
        c.base = svc.base;
        // A step the killed process had claimed must not wait out its lease (30 s) first.
        await c.until("Оформляем?", 10_000);
      }),
    );
    const recoveredMs = Date.now() - t0;
    for (const c of chats) {
      const texts = c.seen.map((m) => m.text);
      // one answer per message: the welcome, categories, products, card, cart and «Оформляем?»
      expect(texts.filter((t) => t.startsWith("Здравствуйте!")), c.session).toHaveLength(1);
      expect(texts.filter((t) => t.includes("149\u00a0₽"))).toHaveLength(1);
      expect(texts.filter((t) => t === "Оформляем?")).toHaveLength(1);
      expect(texts.find((t) => t.includes("В корзине"))).toContain("Шоколадный брауни × 12");
    }
    expect(recoveredMs).toBeLessThan(10_000);
    expect(await stopWith(svc, "SIGTERM", 8_000)).toEqual({ code: 0, signal: null });

    const store = SqliteStore.open(join(dataDir, "frontdesk.db"));
    try {
      expect(await store.pendingInbound()).toBe(0);
      expect(await store.deadInbound(10)).toEqual([]);
      for (const c of chats) {
        const conv = await store.getConversation(`web:${c.session}`);
        expect(conv?.step).toBe("cart_actions");
        expect(conv?.cart).toEqual([expect.objectContaining({ productId: "bar_choco", qty: 12 })]);
      }
    } finally {
      await store.close();
    }
  }, 40_000);
});
