import type { Command } from "commander";
import { ConfigError, loadConfig, type Config } from "../config.ts";
import { describeEnvFile } from "../settings/env-file.ts";
import { envFileRead } from "./common.ts";
import { guarded, type DoctorCheck } from "./doctor-check.ts";
import { clockCheck, flowsCheck, storeCheck } from "./doctor-core.ts";
import { DATA_DIR_HELP } from "./store.ts";

/**
 * `frontdesk doctor`: is this shop ready? One line per check, green or red, and for
 * every red one what to do. Exit 0 when all are green, 1 otherwise (scripts, CI,
 * a deploy step). Colour only on a terminal.
 */
export function registerDoctorCommand(program: Command): void {
  program
    .command("doctor")
    .description("check settings, store, flows, clock and each channel's token, webhook and rights with the platforms themselves")
    .option("--data-dir <dir>", DATA_DIR_HELP)
    .option("--json", "print the checks as JSON")
    .action(async (opts: { dataDir?: string; json?: boolean }) => {
      const checks = await runDoctor(opts.dataDir);
      const out = opts.json ? `${JSON.stringify(checks, null, 2)}\n` : formatChecks(checks, Boolean(process.stdout.isTTY) && !process.env.NO_COLOR);
      process.stdout.write(out);
      process.exit(checks.every((c) => c.ok) ? 0 : 1);
    });
}

export async function runDoctor(dataDir?: string): Promise<DoctorCheck[]> {
  const env = envFileRead();
  const settings: DoctorCheck = { name: "settings", ok: true, detail: describeEnvFile(env).replace(/^settings: /, "") };
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return [
      settings,
      ...err.problems.map((p) => ({ name: "settings", ok: false, detail: p, fix: `fix it in ${env.path ?? ".env"} (every variable is explained in .env.example), or run npx frontdesk init` })),
    ];
  }
  if (dataDir) config = { ...config, dataDir };
  const channels = [config.telegram && "telegram", config.whatsapp && "whatsapp", config.vk && "vk", config.max && "max"].filter(Boolean);
  settings.detail += `; channels on: web${channels.length ? `, ${channels.join(", ")}` : ""}`;
  const reference = config.telegram?.apiRoot ?? config.vk?.apiBase ?? config.whatsapp?.apiBase;
  const doctorConfig = { ...config, telegramStaffChatId: config.telegram?.staffChatId };
  const again = "run npx frontdesk doctor again; if it persists, report it with this line";
  // the SDKs load only for doctor, not for every command
  const [{ doctorChecks: telegramChecks }, { doctorChecks: whatsappChecks }, { doctorChecks: vkChecks }, { doctorChecks: maxChecks }] = await Promise.all([
    import("../../adapters/telegram/doctor.ts"),
    import("../../adapters/whatsapp/doctor.ts"),
    import("../../adapters/vk/doctor.ts"),
    import("../../adapters/max/doctor.ts"),
  ]);
  // the platforms are asked side by side; lines keep this order
  const groups = await Promise.all([
    storeCheck(config).then((c) => [c]),
    flowsCheck(config).then((c) => [c]),
    clockCheck({ ...(reference ? { referenceUrl: reference } : {}) }).then((c) => [c]),
    guarded("Telegram", () => telegramChecks(doctorConfig), again),
    guarded("WhatsApp", () => whatsappChecks(config), again),
    guarded("VK", () => vkChecks(config), again),
    guarded("MAX", () => maxChecks(config), again),
  ]);
  return [settings, ...groups.flat()];
}

export function formatChecks(checks: DoctorCheck[], colour: boolean): string {
  const paint = (code: number, s: string) => (colour ? `\u001b[${code}m${s}\u001b[0m` : s);
  const lines = checks.map((c) => {
    const mark = c.ok ? paint(32, "✔ ok  ") : paint(31, "✘ FAIL");
    const fix = !c.ok && c.fix ? `\n         → ${c.fix}` : "";
    return `${mark} ${c.name}: ${c.detail}${fix}`;
  });
  const red = checks.filter((c) => !c.ok).length;
  lines.push("", red === 0 ? paint(32, `all ${checks.length} checks passed`) : paint(31, `${red} of ${checks.length} checks failed`));
  return `${lines.join("\n")}\n`;
}
