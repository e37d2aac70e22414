import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startHarness, TG_SECRET, type Harness } from "./support/harness.ts";

/**
 * src/http/edge.ts: an address that sent `refusalsPerAddress` forged requests is answered
 * 429 for the rest of the window, its genuine webhooks too, before anything is read;
 * other addresses are not touched.
 */
describe("refused requests per address", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ refusalsPerAddress: 3 });
  });
  afterAll(async () => h?.close());

  const update = (id: number) => JSON.stringify({ update_id: id, message: { message_id: id, date: 1, chat: { id: 42, type: "private" }, from: { id: 42, is_bot: false, first_name: "A" }, text: "привет" } });
  const post = (ip: string, secret: string, id: number) =>
    h.app.http.inject({ method: "POST", url: "/webhooks/telegram", remoteAddress: ip, payload: update(id), headers: { "content-type": "application/json", "x-telegram-bot-api-secret-token": secret } });

  it("blocks the address after three forged webhooks, and only that address", async () => {
    expect((await post("203.0.113.9", TG_SECRET, 1)).statusCode).toBe(200);
    for (let i = 0; i < 3; i++) expect((await post("203.0.113.9", "forged", 10 + i)).statusCode).toBe(401);
    const blocked = await post("203.0.113.9", TG_SECRET, 20);
    expect(blocked.statusCode).toBe(429);
    expect(Number(blocked.headers["retry-after"])).toBeGreaterThan(0);
    expect(blocked.json().message).toMatch(/too many refused requests/);
    expect((await post("198.51.100.7", TG_SECRET, 21)).statusCode).toBe(200);
  });
});
