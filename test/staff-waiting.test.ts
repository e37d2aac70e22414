import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startHarness, type Harness } from "./support/harness.ts";

/** Moscow is UTC+3 all year */
const msk = (y: number, m: number, d: number, h: number, min = 0) => Date.UTC(y, m - 1, d, h - 3, min);

describe("the customer is never left in silence (fake Telegram)", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h.close();
  });

  it("out of hours: told when a person will answer, in the shop's time zone; further messages acknowledged once", async () => {
    h.clock.t = msk(2026, 11, 1, 23, 10); // Sunday night, after closing
    const user = "5550001";
    await h.say("telegram", user, "/start");
    const handoff = await h.say("telegram", user, "оператор");
    expect(handoff.map((r) => r.text).join("\n")).toContain("Сейчас мы не работаем — человек ответит, когда откроемся: завтра в 9:00 (по московскому времени).");

    const second = await h.say("telegram", user, "Нужна коробка батончиков на завтра");
    expect(second.map((r) => r.text)).toEqual(["Ваше сообщение у нас — человек ответит здесь же, когда откроемся: завтра в 9:00 (по московскому времени)."]);
    const third = await h.say("telegram", user, "Алло?");
    expect(third).toEqual([]);
    // nothing was echoed: every reply of the chat is one the bot composed
    expect(h.drivers.telegram.replies(user).map((r) => r.text).join("\n")).not.toContain("Алло?");
  });

  it("in working hours: a person usually answers within the SLA's minutes; after a staff reply no more acknowledgements", async () => {
    h.clock.t = msk(2026, 11, 2, 12, 0); // Monday noon
    const user = "5550002";
    await h.say("telegram", user, "/start");
    const handoff = await h.say("telegram", user, "оператор");
    expect(handoff.map((r) => r.text).join("\n")).toContain("Обычно человек отвечает в течение 5 мин.");
    expect((await h.say("telegram", user, "Жду")).map((r) => r.text)).toEqual(["Ваше сообщение у нас — человек ответит здесь же, как только освободится."]);
    await h.staff("POST", `/api/conversations/telegram:${user}/reply`, { text: "Здравствуйте! Чем помочь?", by: "Ольга" });
    expect(await h.say("telegram", user, "Хочу 10 коробок")).toEqual([]);
  });

  it("on a Saturday break: told the person answers today after the break", async () => {
    h.clock.t = msk(2026, 11, 7, 14, 20);
    const user = "5550003";
    await h.say("telegram", user, "/start");
    const handoff = await h.say("telegram", user, "оператор");
    expect(handoff.map((r) => r.text).join("\n")).toContain("когда откроемся: сегодня в 15:00 (по московскому времени)");
  });
});
