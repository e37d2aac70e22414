/**
 * MAX long polling (marker kept across restarts), `frontdesk max set-webhook`, the
 * doctor's checks and the configuration, against the fake MAX API.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { doctorChecks } from "../../adapters/max/doctor.ts";
import { createMaxAdapter, setMaxWebhook, UPDATE_TYPES, type MarkerStore } from "../../adapters/max/index.ts";
import type { Ingest } from "../../src/channel/port.ts";
import type { MaxConfig } from "../../adapters/max/config.ts";
import { loadConfig } from "../../src/config.ts";
import type { InboundEvent } from "../../src/model/inbound.ts";
import { maxMarker } from "../../src/moves/max-marker.ts";
import { SqliteStore } from "../../src/store/sqlite.ts";
import { FAKE_MAX_TOKEN, maxCallback, maxText, startFakeMax, type FakeMax } from "../fakes/max-api.ts";

const SECRET = "max_s3cret-Token";
const log = pino({ level: "silent" });

let fake: FakeMax;
beforeAll(async () => {
  fake = await startFakeMax({ maxLongPollMs: 300 });
});
afterAll(async () => {
  await fake.close();
});

const config = (over: Partial<MaxConfig> = {}): MaxConfig => ({ token: FAKE_MAX_TOKEN, webhookSecret: SECRET, apiBase: fake.apiBase, mode: "webhook", ...over });

describe("MAX long polling", () => {
  function memoryMarker(start?: number): MarkerStore & { value?: number } {
    const m: MarkerStore & { value?: number } = {
      ...(start !== undefined ? { value: start } : {}),
      async get() {
        return m.value;
      },
      async set(v) {
        m.value = v;
      },
    };
    return m;
  }

  it("ingests queued updates, answers presses, skips a bad update, keeps the marker, and a restart resumes after it", async () => {
    const polling = await startFakeMax({ maxLongPollMs: 200 });
    try {
      const ingested: InboundEvent[] = [];
      const ingest: Ingest = async (events) => {
        ingested.push(...events);
        return events.map(() => "queued" as const);
      };
      const marker = memoryMarker();
      const cfg = { ...config({ mode: "polling" }), apiBase: polling.apiBase };
      const a = createMaxAdapter(cfg, { marker, pollTimeoutSeconds: 1 });
      polling.pushUpdate(maxText({ userId: 41030, text: "раз" }), { update_type: "message_created", timestamp: 1, message: { body: {} } }, maxCallback({ userId: 41030, payload: "buy", callbackId: "cb-poll-1" }));
      await a.start!({ ingest, log });
      await expect.poll(() => ingested.length === 2 && marker.value === 3, { timeout: 5_000 }).toBe(true);
      await expect.poll(() => polling.answered().includes("cb-poll-1"), { timeout: 5_000 }).toBe(true);
      await a.stop!();
      expect(ingested.map((e) => (e.type === "message" ? (e.text ?? e.buttonId) : e.type))).toEqual(["раз", "buy"]);

      // the next process starts from the saved marker: nothing is fetched twice
      polling.pushUpdate(maxText({ userId: 41030, text: "два" }));
      const b = createMaxAdapter(cfg, { marker, pollTimeoutSeconds: 1 });
      await b.start!({ ingest, log });
      await expect.poll(() => ingested.length === 3, { timeout: 5_000 }).toBe(true);
      await b.stop!();
      expect((ingested[2] as { text?: string }).text).toBe("два");
      expect(polling.callsTo("GET", "/updates").map((c) => c.query.marker).filter(Boolean)).toContain("3");
    } finally {
      await polling.close();
    }
  });

  it("keeps the marker in the store's key-value port: a new process on the same database resumes after it", async () => {
    const polling = await startFakeMax({ maxLongPollMs: 200 });
    const dir = mkdtempSync(join(tmpdir(), "frontdesk-max-marker-"));
    try {
      const ingested: string[] = [];
      const ingest: Ingest = async (events) => {
        for (const e of events) if (e.type === "message" && e.text) ingested.push(e.text);
        return events.map(() => "queued" as const);
      };
      const cfg = { ...config({ mode: "polling" }), apiBase: polling.apiBase };
      polling.pushUpdate(maxText({ userId: 41032, text: "первое" }), maxText({ userId: 41032, text: "второе" }));
      let store = SqliteStore.open(join(dir, "frontdesk.db"));
      const a = createMaxAdapter(cfg, { marker: maxMarker(store), pollTimeoutSeconds: 1 });
      await a.start!({ ingest, log });
      await expect.poll(async () => store.kvGet("max", "poll-marker"), { timeout: 5_000 }).toBe("2");
      await a.stop!();
      await store.close();

      polling.pushUpdate(maxText({ userId: 41032, text: "третье" }));
      store = SqliteStore.open(join(dir, "frontdesk.db"));
      const b = createMaxAdapter(cfg, { marker: maxMarker(store), pollTimeoutSeconds: 1 });
      await b.start!({ ingest, log });
      await expect.poll(() => ingested.length, { timeout: 5_000 }).toBe(3);
      await b.stop!();
      await store.close();
      expect(ingested).toEqual(["первое", "второе", "третье"]);
    } finally {
      await polling.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("fetches the batch again when ingest failed", async () => {
    const polling = await startFakeMax({ maxLongPollMs: 200 });
    try {
      let fail = true;
      const ingested: InboundEvent[] = [];
      const ingest: Ingest = async (events) => {
        if (fail) {
          fail = false;
          throw new Error("store down");
        }
        ingested.push(...events);
        return events.map(() => "queued" as const);
      };
      const marker = memoryMarker();
      const a = createMaxAdapter({ ...config({ mode: "polling" }), apiBase: polling.apiBase }, { marker, pollTimeoutSeconds: 1 });
      polling.pushUpdate(maxText({ userId: 41031, text: "не потеряйся" }));
      await a.start!({ ingest, log });
      await expect.poll(() => ingested.length === 1, { timeout: 5_000 }).toBe(true);
      await a.stop!();
      expect((ingested[0] as { text?: string }).text).toBe("не потеряйся");
      expect(marker.value).toBe(1);
    } finally {
      await polling.close();
    }
  });
});

describe("npx frontdesk max set-webhook and the doctor's checks", () => {
  it("subscribes https://…/webhooks/max with the secret and the update types read, and the doctor then sees it", async () => {
    const own = await startFakeMax();
    try {
      const cfg = { ...config(), apiBase: own.apiBase };
      expect((await doctorChecks({ max: cfg })).map((c) => [c.name, c.ok])).toEqual([["MAX token", true], ["MAX webhook", false]]);
      await expect(setMaxWebhook(cfg, "http://shop.example.com")).rejects.toThrow(/HTTPS/);
      own.subscriptions.push({ url: "https://old.example.com/webhooks/max", time: 1, update_types: [] });
      const { url, removed } = await setMaxWebhook(cfg, "https://shop.example.com/");
      expect(url).toBe("https://shop.example.com/webhooks/max");
      expect(removed).toEqual(["https://old.example.com/webhooks/max"]);
      expect(own.subscriptions).toEqual([{ url, time: expect.any(Number), update_types: [...UPDATE_TYPES], secret: SECRET }]);
      const checks = await doctorChecks({ max: cfg, publicUrl: "https://shop.example.com" });
      expect(checks).toEqual([
        { name: "MAX token", ok: true, detail: expect.stringContaining("@sportpit_shop_bot") },
        { name: "MAX webhook", ok: true, detail: `subscribed: ${url}` },
      ]);
      const bad = await doctorChecks({ max: { ...cfg, token: "wrong" } });
      expect(bad).toEqual([{ name: "MAX token", ok: false, detail: expect.stringContaining("401"), fix: expect.stringContaining("MAX_BOT_TOKEN") }]);
      expect(await doctorChecks({})).toEqual([{ name: "MAX", ok: true, detail: expect.stringContaining("off") }]);
    } finally {
      await own.close();
    }
  });
});

describe("MAX configuration", () => {
  it("is off without a token, a clear error when half set, webhook with a secret, polling without", () => {
    expect(loadConfig({}).max).toBeUndefined();
    expect(() => loadConfig({ MAX_WEBHOOK_SECRET: "abcdef" })).toThrow(/MAX is half configured: MAX_WEBHOOK_SECRET set but MAX_BOT_TOKEN missing/);
    expect(() => loadConfig({ MAX_BOT_TOKEN: "t", MAX_MODE: "webhook" })).toThrow(/MAX_WEBHOOK_SECRET: required in webhook mode/);
    expect(() => loadConfig({ MAX_BOT_TOKEN: "t", MAX_WEBHOOK_SECRET: "a b" })).toThrow(/MAX_WEBHOOK_SECRET/);
    expect(loadConfig({ MAX_BOT_TOKEN: "t", MAX_WEBHOOK_SECRET: "abcdef" }).max).toEqual({ token: "t", webhookSecret: "abcdef", apiBase: "https://platform-api2.max.ru", mode: "webhook" });
    expect(loadConfig({ MAX_BOT_TOKEN: "t" }).max?.mode).toBe("polling");
  });
});
