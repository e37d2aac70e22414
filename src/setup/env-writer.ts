import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";

/**
 * Writes the shop's `.env` from `.env.example`: every documented line is kept, the
 * values init chose replace (and uncomment) their lines, so the file stays the
 * reference of every variable. Mode 0600: it holds tokens.
 */
export type EnvValues = Record<string, string>;

const LINE = /^#?\s*([A-Z][A-Z0-9_]*)=(.*)$/;

export function renderEnv(example: string | undefined, values: EnvValues, header: string): string {
  const left = new Map(Object.entries(values));
  const out: string[] = header.split("\n").map((l) => `# ${l}`.trimEnd());
  const lines = example ? example.split("\n") : [];
  // the example's own first comment says "copy to .env": replaced by the header
  let start = 0;
  while (start < lines.length && lines[start]!.startsWith("#") && !LINE.test(lines[start]!)) start++;
  for (const line of lines.slice(start)) {
    const m = LINE.exec(line);
    if (m && left.has(m[1]!)) {
      out.push(`${m[1]}=${quote(left.get(m[1]!)!)}`);
      left.delete(m[1]!);
    } else out.push(line);
  }
  if (left.size > 0) {
    out.push("", "# --- set by npx frontdesk init ---");
    for (const [k, v] of left) out.push(`${k}=${quote(v)}`);
  }
  return `${out.join("\n").replace(/\n+$/, "")}\n`;
}

/** values with spaces, quotes or # need quoting for util.parseEnv */
function quote(v: string): string {
  if (/[\n\r]/.test(v)) throw new Error("a value in .env cannot span lines");
  if (/^[A-Za-z0-9_:./@+,-]*$/.test(v)) return v;
  if (!v.includes('"')) return `"${v}"`;
  if (!v.includes("'")) return `'${v}'`;
  throw new Error("a value in .env cannot hold both ' and \"");
}

export class EnvExistsError extends Error {
  constructor(readonly path: string) {
    super(`${path} already exists: not overwritten (its secrets are in use). Run with --force to replace it.`);
    this.name = "EnvExistsError";
  }
}

/** create `path` with mode 0600; an existing file only with `force` */
export function writeEnvFile(path: string, text: string, force: boolean): void {
  try {
    // "wx" fails when the file exists, with no window between a check and the write
    writeFileSync(path, text, { mode: 0o600, flag: force ? "w" : "wx" });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EEXIST") throw new EnvExistsError(path);
    throw err;
  }
  // an overwritten file keeps its old mode otherwise
  chmodSync(path, 0o600);
}

export function readExample(path: string): string | undefined {
  return existsSync(path) ? readFileSync(path, "utf8") : undefined;
}
