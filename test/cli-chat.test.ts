import { spawn } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

/**
 * `npx frontdesk chat` driven through its standard input, as an owner pipes a
 * script into it: the real engine and flows, a throwaway store, /wait moving the
 * clock so the feedback question comes without waiting hours.
 */
const ROOT = join(import.meta.dirname, "..");

function chat(lines: string[], args: string[] = []): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ["bin/frontdesk.js", "chat", ...args], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ENV_FILE: "none", TZ: "Europe/Moscow" },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    proc.stdout.on("data", (b: Buffer) => (stdout += b.toString()));
    proc.stderr.on("data", (b: Buffer) => (stderr += b.toString()));
    const timer = setTimeout(() => proc.kill("SIGKILL"), 90_000);
    proc.on("error", reject);
    proc.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    proc.stdin.end(lines.map((l) => `${l}\n`).join(""));
  });
}

/** what the bot said in answer to one typed line (up to the next «вы ›») */
function answerTo(out: string, typed: string): string {
  const start = out.indexOf(`вы › ${typed}\n`);
  if (start < 0) return `(never typed ${typed})`;
  const rest = out.slice(start + `вы › ${typed}\n`.length);
  const end = rest.indexOf("вы › ");
  return end < 0 ? rest : rest.slice(0, end);
}

const ORDER = ["Каталог", "Протеиновые батончики", "Шоколадный брауни", "12 шт", "Оформить заказ", "Курьер в офис", "Лесная ул., 5", "/phone +7 916 111-22-33", "Заказать"];

describe("frontdesk chat", { timeout: 120_000 }, () => {
  it("hello → order → /wait 3h → the feedback question, numbered buttons as Telegram shows them", async () => {
    const before = new Set(readdirSync(tmpdir()).filter((d) => d.startsWith("frontdesk-chat-")));
    const r = await chat(["привет", ...ORDER, "/deliver", "/wait 1h", "/wait 3h", "/state", "/quit"]);
    expect(r.code, r.stderr).toBe(0);
    const out = r.stdout;

    expect(answerTo(out, "привет")).toMatch(/^бот › Здравствуйте! Это ФитПерекус/);
    // the welcome: popular products and the catalogue as numbered buttons, one tap each
    expect(answerTo(out, "привет")).toMatch(/\[1\] Шоколадный брауни/);
    expect(answerTo(out, "привет")).toMatch(/\[\d\] Каталог/);
    expect(answerTo(out, "Заказать")).toMatch(/Заказ №(\S+) принят/);
    const number = /Заказ №(\S+) принят/.exec(out)![1]!;
    expect(answerTo(out, "/deliver")).toContain(`✔ заказ №${number}: delivered`);
    // an hour is not enough (the shop asks 2 h after delivery) …
    expect(answerTo(out, "/wait 1h")).toContain("(ничего не сработало / nothing was due)");
    expect(answerTo(out, "/wait 1h")).not.toContain("Оцените");
    // … three more are
    const feedback = answerTo(out, "/wait 3h");
    expect(feedback).toMatch(/^⏩ \+3 ч: /);
    expect(feedback).toContain("Оцените от 1 до 5");
    expect(feedback).toMatch(/\[1\] 1 {3}\[2\] 2/);

    const state = answerTo(out, "/state");
    expect(state).toMatch(/этап \/ stage: Действие \(Action\)/);
    expect(state).toContain("заказов / orders: 1");
    expect(state).toContain("шаг / step: feedback.csat");
    expect(state).toMatch(/repeat → repeat_due: через \d+ дн/);

    // the throwaway store is gone
    const left = readdirSync(tmpdir()).filter((d) => d.startsWith("frontdesk-chat-") && !before.has(d));
    expect(left.filter((d) => existsSync(join(tmpdir(), d)))).toEqual([]);
  });

  it("--channel whatsapp: more than three choices become a list, as WhatsApp shows them; /wait 12d brings the repeat reminder", async () => {
    const r = await chat(["привет", ...ORDER, "/wait 12d", "/quit"], ["--channel", "whatsapp"]);
    expect(r.code, r.stderr).toBe(0);
    expect(answerTo(r.stdout, "привет")).toMatch(/ ≡ .+\n +\[1\] Шоколадный брауни/);
    const repeat = answerTo(r.stdout, "/wait 12d");
    expect(repeat).toMatch(/^⏩ \+12 дн: /);
    expect(repeat).toMatch(/^бот › /m);
  });

  it("/help lists the commands; an unknown channel is refused", async () => {
    const r = await chat(["/help", "/wait soon", "/quit"]);
    expect(answerTo(r.stdout, "/help")).toContain("/wait 2h");
    expect(answerTo(r.stdout, "/wait soon")).toContain("/wait 2h, /wait 30m, /wait 12d, /wait 2w");
    const bad = await chat([], ["--channel", "icq"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--channel: one of telegram, whatsapp, vk, web");
  });
});
