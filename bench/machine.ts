import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";

/** What the figures were measured on, for the printout and the README. */
export interface Machine {
  cpu: string;
  cores: number;
  ramGiB: number;
  node: string;
  redis: string;
  os: string;
}

export function describeMachine(): Machine {
  let cpu = cpus()[0]?.model ?? "unknown";
  try {
    const info = readFileSync("/proc/cpuinfo", "utf8");
    const field = (name: string) => new RegExp(`^${name}\\s*:\\s*(.+)$`, "m").exec(info)?.[1]?.trim();
    const mhz = Number(field("cpu MHz"));
    const details = [
      Number.isFinite(mhz) && mhz > 0 ? `${(mhz / 1000).toFixed(1)} GHz` : "",
      field("cpu family") ? `family ${field("cpu family")} model ${field("model")}` : "",
      / hypervisor( |$)/m.test(field("flags") ?? "") ? "virtual machine" : "",
    ].filter(Boolean);
    cpu = `${field("model name") ?? cpu}${details.length > 0 ? ` (${details.join(", ")})` : ""}`;
  } catch {
    // not Linux: os.cpus() named it
  }
  let redis = "not found";
  try {
    const out = execFileSync(process.env.REDIS_SERVER_BIN ?? "redis-server", ["--version"], { encoding: "utf8" });
    redis = /v=(\S+)/.exec(out)?.[1] ?? out.trim();
  } catch {
    // reported as not found
  }
  let os = `${process.platform} ${process.arch}`;
  try {
    const m = /^PRETTY_NAME="?([^"\n]+)"?$/m.exec(readFileSync("/etc/os-release", "utf8"));
    if (m?.[1]) os = `${m[1]} (${process.arch})`;
  } catch {
    // keep platform/arch
  }
  return { cpu, cores: cpus().length, ramGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10, node: process.version, redis, os };
}

/** Peak resident set size of a live process in MiB (Linux VmHWM), NaN elsewhere. */
export function peakRssMiB(pid: number): number {
  try {
    const m = /^VmHWM:\s*(\d+)\s*kB$/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m?.[1] ? Number(m[1]) / 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/** user + system CPU time of a live process in ms (Linux /proc/<pid>/stat, 100 ticks/s), NaN elsewhere */
export function cpuTimeMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // the command name may hold spaces: fields start after its closing parenthesis
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) * (1000 / CLOCK_TICKS);
  } catch {
    return Number.NaN;
  }
}

/** USER_HZ: 100 on every Linux build Node runs on */
const CLOCK_TICKS = 100;
