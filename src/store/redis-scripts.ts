/**
 * Loads the Redis store's Lua (lua/*.lua, one file a script, and the library every
 * script shares in lua/lib/) once, at start, and fills in what TypeScript declares for
 * both sides: the record layouts (FIELDS, redis-records.ts), PAD, the funnel log's
 * record format and the stage numbers.
 *
 * Layout of a script as sent to Redis, chosen so that Redis's own error lines
 * ("user_script:N") are the script file's line numbers:
 *   line 1      the filled-in constants, the library's names declared, then
 *               `local function main()` and the script's first line, on that one line
 *   lines 2..S  the script's other lines, as in its file
 *   then        `end`, the library files (their top-level `local`s assign the names
 *               declared on line 1, nothing else changes), `return main()`
 * so the library is defined before main() runs and a script's line N is line N. A line
 * past the script maps back to its library file (`locate`), and RedisStore rewrites the
 * error messages it passes on with it: "lua/commit.lua:57", "lua/lib/prelude.lua:212".
 * Not a Redis 7 function library: FUNCTION LOAD has to be repeated on every cluster node
 * and after a restart without persistence (there is no NOSCRIPT → EVAL fallback), and a
 * library's functions see no script's locals, so each script would become a function in
 * one library whose errors point into the library blob anyway.
 */

import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { STAGES } from "../model/domain.ts";
import { FIELDS, LOG_FORMAT, PAD } from "./redis-records.ts";
import { REPORT_EVENT_MARKS, STEP_VISIT_MARKS } from "./report-reads.ts";

const LUA_DIR = new URL("./lua/", import.meta.url);

/** the shared library, in the order it is defined */
export const LIBRARY_FILES = ["lib/prelude.lua", "lib/outbox.lua", "lib/turn.lua", "lib/report-index.lua"] as const;

const SCRIPT_FILES = {
  enqueue: "enqueue.lua",
  claimInbound: "claim-inbound.lua",
  releaseInbound: "release-inbound.lua",
  deadInbound: "dead-inbound.lua",
  deadInboundAction: "dead-inbound-action.lua",
  commit: "commit.lua",
  loadTurn: "load-turn.lua",
  pendingInbound: "pending-inbound.lua",
  pauseSends: "pause-sends.lua",
  merge: "merge.lua",
  claimOutbox: "claim-outbox.lua",
  outboxUpdate: "outbox-update.lua",
  fetchOutbox: "fetch-outbox.lua",
  findOutbox: "find-outbox.lua",
  pruneSent: "prune-sent.lua",
  markTimerFired: "mark-timer-fired.lua",
  liveContacts: "live-contacts.lua",
  removeChats: "remove-chats.lua",
} as const;

export type ScriptName = keyof typeof SCRIPT_FILES;

export interface LoadedScript {
  /** what EVAL runs */
  readonly source: string;
  readonly sha: string;
  /** the file and line a line of `source` comes from */
  locate(line: number): { file: string; line: number };
  /** `message` with every "user_script:N" turned into "lua/<file>:<line>" */
  describe(message: string): string;
}

/** what TypeScript declares for the Lua, as Lua literals (line 1 of every script) */
function constants(): string {
  const str = (s: string) => JSON.stringify(s); // a double-quoted Lua string for plain ASCII
  const list = (xs: readonly string[]) => `{ ${xs.map(str).join(", ")} }`;
  const fields = Object.entries(FIELDS).map(([name, fs]) => `${name} = ${list(fs)}`);
  const stageNo = STAGES.map((stage, i) => `[${str(stage)}] = ${i}`);
  const stepMarks = Object.entries(STEP_VISIT_MARKS).map(([k, v]) => `${k} = ${str(v)}`);
  return (
    `local FIELDS, PAD, LOG_FORMAT, STAGE_NO, REPORT_MARKS, STEP_MARKS = { ${fields.join(", ")} }, ${PAD}, ${str(LOG_FORMAT)}, ` +
    `{ ${stageNo.join(", ")} }, ${list(REPORT_EVENT_MARKS)}, { ${stepMarks.join(", ")} };`
  );
}

/** `local` taken off a library's top-level definitions: they assign names declared on line 1 */
function libraryPart(file: string, text: string): { names: string[]; lines: string[] } {
  const names: string[] = [];
  const lines = text.replace(/\n$/, "").split("\n").map((line) => {
    const fn = /^local function (\w+)/.exec(line);
    if (fn) {
      names.push(fn[1]!);
      return line.slice("local ".length);
    }
    const value = /^local (\w+) =/.exec(line);
    if (value) {
      names.push(value[1]!);
      return line.slice("local ".length);
    }
    if (/^local\b/.test(line)) throw new Error(`lua/${file}: a top-level local must be "local name =" or "local function name"`);
    return line;
  });
  return { names, lines };
}

function read(file: string): string {
  return readFileSync(new URL(file, LUA_DIR), "utf8");
}

const library = LIBRARY_FILES.map((file) => ({ file, ...libraryPart(file, read(file)) }));
const libraryNames = library.flatMap((part) => part.names);
const HEADER = `${constants()} local ${libraryNames.join(", ")}; local function main() `;

/** a script file (relative to src/store/lua/, or a URL for tests' own) with the library */
export function buildScript(file: string | URL, label = String(file)): LoadedScript {
  const own = (typeof file === "string" ? read(file) : readFileSync(file, "utf8")).replace(/\n$/, "").split("\n");
  const lines = [HEADER + own[0], ...own.slice(1), "end"];
  const spans: { file: string; from: number; to: number }[] = [{ file: label, from: 1, to: own.length }];
  for (const part of library) {
    spans.push({ file: part.file, from: lines.length + 1, to: lines.length + part.lines.length });
    lines.push(...part.lines);
  }
  lines.push("return main()");
  const source = lines.join("\n");
  const locate = (line: number) => {
    const span = spans.find((s) => line >= s.from && line <= s.to);
    return span ? { file: span.file, line: line - span.from + 1 } : { file: label, line };
  };
  return {
    source,
    sha: createHash("sha1").update(source).digest("hex"),
    locate,
    describe: (message) =>
      message.replace(/user_script:(\d+)/g, (_, n: string) => {
        const at = locate(Number(n));
        return `lua/${at.file}:${at.line}`;
      }),
  };
}

export const SCRIPTS = Object.fromEntries(
  Object.entries(SCRIPT_FILES).map(([name, file]) => [name, buildScript(file)]),
) as Record<ScriptName, LoadedScript>;
