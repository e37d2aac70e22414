import { spawnSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../src/config.ts";
import { bearerToken, sameSecret } from "../src/http/secrets.ts";
import { startHarness, STAFF_TOKEN, type Harness } from "./support/harness.ts";
import { vkEvent, vkMessageNew } from "./fakes/vk-api.ts";

/** The staff token guards every customer's history: a weak one never starts the service. */
const base = { PORT: "0", DATA_DIR: "/tmp/unused" };
const problemsWith = (token: string): string[] => {
  try {
    loadConfig({ ...base, STAFF_API_TOKEN: token });
    return [];
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
};

describe("STAFF_API_TOKEN", () => {
  it("refuses the documented placeholder, short tokens and non-random ones, naming the fix", () => {
    for (const token of ["change-me-to-a-long-random-string", "replace-with-32-or-more-random-characters", "CHANGE_ME_please_0123456789abcdefghij", "your-staff-token-0123456789abcdefghij"]) {
      expect(problemsWith(token), token).toEqual([expect.stringMatching(/^STAFF_API_TOKEN: is a placeholder.*openssl rand -hex 32/)]);
    }
    expect(problemsWith("short-token-123")).toEqual([expect.stringMatching(/^STAFF_API_TOKEN: must be at least 32 characters \(got 15\)/)]);
    expect(problemsWith("a".repeat(40))).toEqual([expect.stringMatching(/not random enough/)]);
    expect(problemsWith("9f2c4e1ab7d35f08c6e2a94b1d7f3c5e")).toEqual([]);
    // no token: the staff API is off, the service starts
    expect(() => loadConfig(base)).not.toThrow();
  });

  it("npm start with the placeholder exits with a clear message and nothing listening", () => {
    const run = spawnSync(process.execPath, ["--import", "tsx", "src/main.ts"], {
      env: { PATH: process.env.PATH, PORT: "0", DATA_DIR: "/tmp/frontdesk-never", STAFF_API_TOKEN: "change-me-to-a-long-random-string" },
      encoding: "utf8",
      timeout: 30_000,
    });
    expect(run.status).toBe(78);
    expect(run.stderr).toContain("STAFF_API_TOKEN: is a placeholder from the documentation, not a secret; make one with: openssl rand -hex 32");
    expect(run.stderr).not.toContain("front desk is up");
  }, 40_000);

  it("the Bearer scheme is case-insensitive; the token itself is not", () => {
    expect(bearerToken("Bearer abc")).toBe("abc");
    expect(bearerToken("bearer abc")).toBe("abc");
    expect(bearerToken("BEARER   abc ")).toBe("abc");
    expect(bearerToken("Basic abc")).toBeUndefined();
    expect(bearerToken("Bearer")).toBeUndefined();
    expect(sameSecret("abc", "abc")).toBe(true);
    expect(sameSecret("ABC", "abc")).toBe(false);
    expect(sameSecret("abc", undefined)).toBe(false);
    expect(sameSecret("", "")).toBe(false);
  });
});

describe("the staff API's small edges", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => h?.close());

  const api = async (method: "GET" | "POST", url: string, authorization: string, body?: unknown) => {
    const res = await h.app.http.inject({
      method,
      url,
      headers: { authorization, ...(body ? { "content-type": "application/json" } : {}) },
      ...(body ? { payload: JSON.stringify(body) } : {}),
    });
    return { status: res.statusCode, json: res.json() as { error?: string; message?: string } };
  };

  it("accepts bearer in any case, refuses a wrong token", async () => {
    expect((await api("GET", "/api/inbox", `bearer ${STAFF_TOKEN}`)).status).toBe(200);
    expect((await api("GET", "/api/inbox", `BEARER ${STAFF_TOKEN}`)).status).toBe(200);
    expect((await api("GET", "/api/inbox", `Bearer ${STAFF_TOKEN.toUpperCase()}`)).status).toBe(401);
    expect((await api("GET", "/api/inbox", STAFF_TOKEN)).status).toBe(401);
  });

  it("refuses a reply of only spaces (400) and sends nothing; requeue of an unknown id is 404", async () => {
    await h.say("telegram", "600100", "/start");
    const sentBefore = h.telegram.calls.filter((c) => c.method === "sendMessage").length;
    for (const text of ["   ", "\n\t ", ""]) {
      const res = await api("POST", "/api/conversations/telegram:600100/reply", `Bearer ${STAFF_TOKEN}`, { text, by: "Ольга" });
      expect(res.status, JSON.stringify(text)).toBe(400);
      expect(res.json.message).toContain("text:");
    }
    await h.app.idle();
    expect(h.telegram.calls.filter((c) => c.method === "sendMessage").length).toBe(sentBefore);
    const requeue = await api("POST", "/api/outbox/ob_does_not_exist/requeue", `Bearer ${STAFF_TOKEN}`);
    expect(requeue).toEqual({ status: 404, json: { error: "not_found", message: "no held or dead reply ob_does_not_exist" } });
  });

  it("a VK event without event_id, message ids or date delivered twice is answered once", async () => {
    const object = vkMessageNew({ peerId: 300777, text: "Начать", id: 0 }) as { message: Record<string, unknown> };
    delete object.message.date;
    delete object.message.conversation_message_id;
    const event = vkEvent("message_new", object);
    delete event.event_id;
    for (let i = 0; i < 2; i++) {
      const res = await h.app.http.inject({ method: "POST", url: "/webhooks/vk", headers: { "content-type": "application/json" }, payload: JSON.stringify(event) });
      expect(res.body).toBe("ok");
      await h.app.idle();
    }
    const greetings = h.vk.delivered().filter((d) => d.peerId === "300777" && d.text.includes("Здравствуйте"));
    expect(greetings).toHaveLength(1);
  });
});
