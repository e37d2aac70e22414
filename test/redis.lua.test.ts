import { readFileSync } from "node:fs";
import { createClient } from "redis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildScript, SCRIPTS } from "../src/store/redis-scripts.ts";
import {
  contactArgs,
  conversationArgs,
  orderArgs,
  outboxArgs,
  toOutboxItems,
  touchpointArgs,
} from "../src/store/redis-codec.ts";
import { makeContact, makeConversation, makeOrder, makeOutboxItem, makeTouchpoint, T0 } from "./store-fixtures.ts";
import { startRedis, uniquePrefix, type RedisHandle } from "./support/redis-server.ts";

/*
 * The Redis store's Lua as files: the records TypeScript encodes are what the Lua reads
 * (a round trip through an echo script using the library's readers and writer), and a
 * Lua error names the file and line it happened on.
 */

let server: RedisHandle;
let raw: ReturnType<typeof createClient>;
beforeAll(async () => {
  server = await startRedis();
  raw = createClient({ url: server.url });
  await raw.connect();
});
afterAll(async () => {
  await raw?.quit();
  await server?.stop();
});

const echo = buildScript(new URL("./support/lua/echo-records.lua", import.meta.url), "echo-records.lua");
const fails = buildScript(new URL("./support/lua/fails.lua", import.meta.url), "fails.lua");

async function evalScript(source: string, args: string[]): Promise<unknown> {
  const p = uniquePrefix();
  return raw.sendCommand(["EVAL", source, "1", p, p, ...args]);
}

describe("Redis scripts as .lua files", () => {
  it("every record the store encodes is read back field for field by the Lua, and an outbox item comes back whole", async () => {
    const contact = makeContact({
      phone: "79990001122",
      referredBy: "ct_friend",
      source: "qr-door",
      balance: -150,
      identities: [
        { channel: "telegram", userId: "11", reachable: true },
        { channel: "vk", userId: "22", reachable: true },
      ],
      stagesReached: { awareness: T0, interest: T0 + 5 },
      updatedAt: T0 + 9,
    });
    const conversation = makeConversation({
      contactId: contact.id,
      timers: { remind: { at: T0 + 60_000, token: "tok1", target: "x" }, feedback: { at: T0 + 120_000, token: "tok2", target: "x" } },
      updatedAt: T0 + 7,
    });
    const tp = makeTouchpoint({ contactId: contact.id, at: T0 + 3 });
    const order = makeOrder({ contactId: contact.id, status: "confirmed", createdAt: T0 + 4 });
    const plain = makeOutboxItem({ seq: 3, attempts: 2, notBefore: T0 + 11 });
    const failed = makeOutboxItem({ seq: 4, lastError: "429: Too Many Requests", platformMessageIds: ["m1", "m2"], deliveryStatus: "read" });
    const reply = (await evalScript(echo.source, [
      ...contactArgs(contact),
      ...conversationArgs(conversation),
      "1",
      ...touchpointArgs(tp),
      "1",
      ...orderArgs(order),
      "2",
      ...outboxArgs(plain),
      ...outboxArgs(failed),
    ])) as unknown[];
    const read = JSON.parse(String(reply[0])) as Record<string, unknown>;
    expect(read.contact).toEqual({
      id: contact.id,
      d: JSON.stringify(contact),
      ph: "79990001122",
      rc: contact.referralCode,
      rb: "ct_friend",
      aud: "customer",
      meta: "customer|qr-door",
      bal: "-150",
      mi: "",
      ca: String(T0),
      upd: String(T0 + 9),
      idents: ["telegram\n11", "vk\n22"],
      stages: [
        { stage: "awareness", at: String(T0) },
        { stage: "interest", at: String(T0 + 5) },
      ],
    });
    expect(read.conv).toEqual({
      ck: conversation.key,
      d: JSON.stringify(conversation),
      cid: contact.id,
      flow: "main",
      hasStep: "1",
      step: "start",
      ho: "0",
      upd: String(T0 + 7),
      channel: "telegram",
      chat: conversation.chatId,
      timers: [
        { name: "remind", at: String(T0 + 60_000), token: "tok1" },
        { name: "feedback", at: String(T0 + 120_000), token: "tok2" },
      ],
    });
    expect(read.tps).toEqual([{ id: tp.id, cid: contact.id, at: String(T0 + 3), d: JSON.stringify(tp) }]);
    expect(read.orders).toEqual([{ id: order.id, cid: contact.id, st: "confirmed", ca: String(T0 + 4), d: JSON.stringify(order) }]);
    // what the Lua read of an item, laid out as pushItem answers, decodes to the item itself
    expect(toOutboxItems(reply, 1)).toEqual([plain, failed]);
  });

  it("a Lua error in a script names the script's own file and line; one in the library names the library file and line", async () => {
    const script = await evalScript(fails.source, ["script"]).catch((e: Error) => e.message);
    // Redis's own line is the file's line: the library follows the script
    expect(script).toContain("@user_script:5.");
    expect(fails.describe(String(script))).toContain("@lua/fails.lua:5.");

    const library = await evalScript(fails.source, ["library"]).catch((e: Error) => e.message);
    const prelude = readFileSync(new URL("../src/store/lua/lib/prelude.lua", import.meta.url), "utf8").split("\n");
    const padLine = prelude.findIndex((l) => l.startsWith("local function pad(")) + 1;
    expect(padLine).toBeGreaterThan(0);
    expect(fails.describe(String(library))).toContain(`lua/lib/prelude.lua:${padLine}:`);
    expect(fails.describe(String(library))).not.toContain("user_script");
  });

  it("every store script compiles on Redis with the library, each under its own name", async () => {
    for (const [name, script] of Object.entries(SCRIPTS)) {
      expect(await raw.sendCommand(["SCRIPT", "LOAD", script.source]), name).toBe(script.sha);
    }
    expect(new Set(Object.values(SCRIPTS).map((s) => s.sha)).size).toBe(Object.keys(SCRIPTS).length);
  });
});
