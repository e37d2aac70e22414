import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, it } from "vitest";
import type { FunnelReport } from "../src/analytics/funnel.ts";
import { startHarness, DAY, HOUR } from "./support/harness.ts";

/**
 * `npx frontdesk …` as an owner runs it: the real bin script in its own process,
 * judged by exit code and what it prints.
 */

const ROOT = join(import.meta.dirname, "..");

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** run bin/frontdesk.js with a clean environment (no tokens, no REDIS_URL from the caller) */
function frontdesk(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ["bin/frontdesk.js", ...args],
      { cwd: ROOT, env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ENV_FILE: "none", ...env }, timeout: 90_000, maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => {
        if (err && typeof err.code !== "number") return reject(err);
        resolve({ code: err ? Number(err.code) : 0, stdout, stderr });
      },
    );
  });
}

let dataDir: string;

/** Three web customers two days ago: one only said hello, one looked at a bar, one ordered. */
beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "frontdesk-cli-"));
  const h = await startHarness({ dataDir });
  try {
    h.clock.t = Date.now() - 2 * DAY;
    await h.say("web", "cli_hello", "/start");
    await h.later(HOUR);
    await h.say("web", "cli_browse", "/start");
    for (const label of ["Каталог", "Протеиновые батончики", "Ванильный чизкейк"]) await h.tap("web", "cli_browse", label);
    await h.later(HOUR);
    await h.say("web", "cli_buyer", { source: "src_gym_flyer" });
    for (const label of ["Каталог", "Протеиновые батончики", "Шоколадный брауни", "12 шт", "Оформить заказ", "Курьер в офис"]) {
      await h.tap("web", "cli_buyer", label);
    }
    await h.say("web", "cli_buyer", "Лесная ул., 5");
    await h.say("web", "cli_buyer", { phone: "+7 916 111-22-33" });
    const placed = await h.tap("web", "cli_buyer", "Заказать");
    if (!placed.some((r) => /Заказ №\S+ принят/.test(r.text))) throw new Error(`no order: ${JSON.stringify(placed)}`);
  } finally {
    await h.close();
  }
}, 60_000);

afterAll(() => {
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

// each case is its own node process: run them side by side, with room for a busy machine
describe.concurrent("frontdesk flows", { timeout: 60_000 }, () => {
  it("check: the default shop is fine (exit 0, «OK: …»)", async ({ expect }) => {
    const r = await frontdesk(["flows", "check"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^OK: \d+ flows, \d+ steps, \d+ products, texts in ru and en\n$/);
  });

  it("check --dir graph/: exit 1, names the file and each fault", async ({ expect }) => {
    const r = await frontdesk(["flows", "check", "--dir", "test/fixtures/broken-flows/graph"]);
    expect(r.code).toBe(1);
    const out = r.stdout + r.stderr;
    expect(out).toContain("test/fixtures/broken-flows/graph/shop.flow.yaml");
    expect(out).toMatch(/steps\.hours: dead end/);
    expect(out).toMatch(/steps\.orphan: unreachable/);
    expect(out).toMatch(/steps\.lost: goes to "nowhere", which does not exist/);
    expect(out).toMatch(/locales\/en\.yaml at browse\.only_ru: missing translation/);
    expect(out).toMatch(/^\d+ problem\(s\) in test\/fixtures\/broken-flows\/graph:/m);
  });

  it("check --dir schema/: exit 1, names the unknown stage", async ({ expect }) => {
    const r = await frontdesk(["flows", "check", "--dir", "test/fixtures/broken-flows/schema"]);
    expect(r.code).toBe(1);
    const out = r.stdout + r.stderr;
    expect(out).toContain("test/fixtures/broken-flows/schema/shop.flow.yaml");
    expect(out).toMatch(/steps\.menu\.stage: .*"awareness"/);
    expect(out).toMatch(/steps\.menu\.options\.0\.id/);
  });

  it("schema: JSON Schema for flow, catalogue and shop files", async ({ expect }) => {
    const r = await frontdesk(["flows", "schema"]);
    expect(r.code, r.stderr).toBe(0);
    const schema = JSON.parse(r.stdout) as Record<string, { type?: string; properties?: Record<string, unknown> }>;
    expect(Object.keys(schema).sort()).toEqual(["catalogue", "flow", "shop"]);
    for (const part of Object.values(schema)) expect(part.type).toBe("object");
    expect(schema.flow!.properties).toHaveProperty("steps");
    expect(schema.catalogue!.properties).toHaveProperty("products");
    expect(schema.shop!.properties).toHaveProperty("entry");
  });
});

describe.concurrent("frontdesk report funnel", { timeout: 60_000 }, () => {
  it("prints the funnel table for the last 30 days", async ({ expect }) => {
    const r = await frontdesk(["report", "funnel"], { DATA_DIR: dataDir });
    expect(r.code, r.stderr).toBe(0);
    const out = r.stdout;
    expect(out).toMatch(/^Воронка \d{4}-\d\d-\d\d — \d{4}-\d\d-\d\d/);
    expect(out).toMatch(/^Осознание\s+3\s+—/m);
    expect(out).toMatch(/^Сравнение\s+2\s+/m);
    expect(out).toMatch(/^Действие\s+1\s+50%/m);
    expect(out).toMatch(/^\s+gym_flyer\s+1 \/ 1$/m);
    expect(out).toMatch(/^\s+direct\s+2 \/ 0$/m);
    expect(out).toMatch(/^\s+customer\.(welcome|card)\s+1$/m);
  });

  it("--json parses and carries the same numbers", async ({ expect }) => {
    const to = Date.now() + HOUR;
    const r = await frontdesk(["report", "funnel", "--from", new Date(to - 7 * DAY).toISOString(), "--to", String(to), "--audience", "customer", "--json"], {
      DATA_DIR: dataDir,
    });
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as FunnelReport;
    expect(report.audience).toBe("customer");
    expect(report.to).toBe(to);
    expect(Object.fromEntries(report.rows.map((row) => [row.stage, row.reached]))).toMatchObject({
      awareness: 3,
      interest: 2,
      desire: 2,
      research: 2,
      comparison: 2,
      action: 1,
      repeat: 0,
    });
    expect(report.sources).toContainEqual({ source: "gym_flyer", contacts: 1, ordered: 1 });
    expect([...report.dropOff].sort((a, b) => a.step.localeCompare(b.step))).toEqual([
      { flow: "customer", step: "card", count: 1 },
      { flow: "customer", step: "welcome", count: 1 },
    ]);
  });

  it("a date that is not one: exit 2 with a clear message", async ({ expect }) => {
    const r = await frontdesk(["report", "funnel", "--from", "last tuesday"], { DATA_DIR: dataDir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("not a date: last tuesday");
    expect(r.stdout).toBe("");
    const backwards = await frontdesk(["report", "funnel", "--from", "2026-03-01", "--to", "2026-02-01"], { DATA_DIR: dataDir });
    expect(backwards.code).toBe(2);
    expect(backwards.stderr).toContain("--from must be before --to");
  });

  it("says which store it read on stderr; --data-dir and friendly dates work", async ({ expect }) => {
    const r = await frontdesk(["report", "funnel", "--data-dir", dataDir, "--from", "7d", "--to", "now"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(new RegExp(`^store: SQLite ${dataDir.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} \\(\\d+ KB\\)\n$`));
    expect(r.stdout).toMatch(/^Осознание\s+3\s+—/m);
  });

  it("a store that does not exist: a clear message and exit 66, and no empty ./data made", async ({ expect }) => {
    const missing = join(dataDir, "nowhere");
    const r = await frontdesk(["report", "funnel", "--from", "yesterday", "--to", "today"], { DATA_DIR: missing });
    expect(r.code).toBe(66);
    expect(r.stderr).toContain(`no shop data in ${missing}`);
    expect(r.stderr).toContain("--data-dir");
    expect(r.stdout).toBe("");
    expect(existsSync(missing)).toBe(false);
  });

  it("a configuration error: exit 78 naming the variable", async ({ expect }) => {
    const r = await frontdesk(["report", "funnel"], { DATA_DIR: dataDir, PORT: "abc" });
    expect(r.code).toBe(78);
    expect(r.stderr).toMatch(/PORT: .*"abc"/);
  });
});
