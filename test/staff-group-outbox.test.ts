import fc from "fast-check";
import pino from "pino";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createStaffGroupApi, parseStaffGroupUpdate } from "../adapters/telegram/staff-group.ts";
import { GroupOutbox } from "../src/staff/telegram-group/outbox.ts";
import { startFakeTelegram, type FakeTelegram } from "./fakes/telegram-api.ts";

/** The staff group's own queue against the fake Bot API, at Telegram's pace for a group (20 a minute). */
const CHAT = "-1001987654321";
let tg: FakeTelegram;
const log = pino({ level: "silent" });

beforeAll(async () => {
  tg = await startFakeTelegram();
});
afterAll(async () => {
  await tg.close();
});
beforeEach(() => tg.reset());

const posted = () => tg.callsOf("sendMessage").filter((c) => c.status === 200);

describe("staff group queue", () => {
  it("merges a burst for one topic into few messages, in order, within 20 a minute", async () => {
    const api = createStaffGroupApi({ token: "123:TEST", apiRoot: tg.apiRoot }, CHAT);
    const thread = await api.createTopic("Людмила · WhatsApp · покупатель");
    const outbox = new GroupOutbox({ api, log, perMinute: 20, onThreadGone: async () => undefined });
    const lines = Array.from({ length: 12 }, (_, i) => `👤 строка ${i + 1}`);
    for (const text of lines) outbox.push({ threadId: thread, text });
    outbox.push({ text: "🔔 Нужен человек: Людмила" }); // the general topic is another target
    await outbox.idle();
    const calls = posted();
    expect(calls.length).toBeLessThan(lines.length);
    expect(calls.length).toBeLessThanOrEqual(3); // the burst allowance: nothing waited 3 s per line
    const topicText = calls.filter((c) => c.params.message_thread_id === thread).map((c) => String(c.params.text)).join("\n\n");
    expect(topicText).toBe(lines.join("\n\n"));
    expect(calls.filter((c) => c.params.message_thread_id === undefined).map((c) => c.params.text)).toEqual(["🔔 Нужен человек: Людмила"]);
  });

  it("honours retry_after on a 429 from the group, and merges what queued meanwhile", async () => {
    const api = createStaffGroupApi({ token: "123:TEST", apiRoot: tg.apiRoot }, CHAT);
    const outbox = new GroupOutbox({ api, log, perMinute: 20, onThreadGone: async () => undefined });
    tg.failNext(1, { status: 429, retryAfter: 1, method: "sendMessage", description: "Too Many Requests: retry after 1" });
    outbox.push({ text: "первое" });
    await tg.waitForCalls("sendMessage", 1);
    outbox.push({ text: "второе" });
    outbox.push({ text: "третье" });
    await outbox.idle();
    const [refused, ...rest] = tg.callsOf("sendMessage");
    expect(refused!.status).toBe(429);
    expect(rest.map((c) => c.params.text)).toEqual(["первое\n\nвторое\n\nтретье"]);
    expect(rest[0]!.at - refused!.at).toBeGreaterThanOrEqual(990); // not before Telegram allowed
  });

  it("a closed topic is reopened to post; a gone one is handed to onThreadGone", async () => {
    const api = createStaffGroupApi({ token: "123:TEST", apiRoot: tg.apiRoot }, CHAT);
    const a = await api.createTopic("A");
    const b = await api.createTopic("B");
    await api.closeTopic(a);
    tg.deleteTopic(CHAT, b);
    let replacement: number | undefined;
    const outbox = new GroupOutbox({
      api,
      log,
      perMinute: 600,
      onThreadGone: async (old) => {
        expect(old).toBe(b);
        return (replacement = await api.createTopic("B"));
      },
    });
    outbox.push({ threadId: a, text: "в закрытую" });
    outbox.push({ threadId: b, text: "в удалённую" });
    await outbox.idle();
    expect(tg.topics(CHAT).find((t) => t.threadId === a)!.closed).toBe(false);
    const ok = posted().map((c) => [c.params.message_thread_id, c.params.text]);
    expect(ok).toEqual([
      [a, "в закрытую"],
      [replacement, "в удалённую"],
    ]);
    const refusals = tg.callsOf("sendMessage").filter((c) => c.status === 400);
    expect(refusals.map((c) => c.params.message_thread_id)).toEqual([a, b]);
  });
});

describe("staff group updates (input from outside)", () => {
  it("never throws; bots, service messages and edits give nothing; /bot and /close are commands only alone", () => {
    fc.assert(
      fc.property(fc.anything(), (u) => {
        expect(() => parseStaffGroupUpdate(u)).not.toThrow();
      }),
    );
    const msg = (extra: Record<string, unknown>) => ({
      update_id: 1,
      message: { message_id: 5, date: 1, chat: { id: Number(CHAT), type: "supergroup" }, from: { id: 7, is_bot: false, first_name: "Ольга" }, message_thread_id: 1001, is_topic_message: true, ...extra },
    });
    expect(parseStaffGroupUpdate(msg({ text: "/bot" }))).toMatchObject({ command: "bot", threadId: 1001, from: { name: "Ольга" } });
    expect(parseStaffGroupUpdate(msg({ text: "/close@sportpit_shop_bot" }))?.command).toBe("close");
    expect(parseStaffGroupUpdate(msg({ text: "/bot и ещё текст" }))?.command).toBeUndefined();
    expect(parseStaffGroupUpdate(msg({ text: "hi", from: { id: 9, is_bot: true, first_name: "bot" } }))).toBeNull();
    expect(parseStaffGroupUpdate(msg({ forum_topic_created: { name: "x" } }))).toBeNull();
    expect(parseStaffGroupUpdate({ update_id: 2, edited_message: msg({ text: "x" }).message })).toBeNull();
    // a reply in the general topic carries a thread id without being a topic message
    expect(parseStaffGroupUpdate(msg({ text: "hi", is_topic_message: undefined }))?.threadId).toBeUndefined();
    fc.assert(
      fc.property(fc.string({ maxLength: 5000 }), (text) => {
        const m = parseStaffGroupUpdate(msg({ text }));
        expect(m?.text).toBe(text);
      }),
      { numRuns: 200 },
    );
  });
});
