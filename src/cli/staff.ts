import { createInterface } from "node:readline";
import { Writable } from "node:stream";
import { Command, InvalidArgumentError } from "commander";
import { ConfigError, loadConfig } from "../config.ts";
import {
  createStaffAccount,
  listStaffAccounts,
  removeStaffAccount,
  setStaffPassword,
  StaffAccountError,
  STAFF_ROLES,
  type StaffRole,
} from "../staff/accounts.ts";
import { openStore } from "../store/open.ts";
import type { KeyValuePort } from "../store/port.ts";

/**
 * `npx frontdesk staff add|list|remove|passwd`: the team, in the configured store
 * (DATA_DIR or REDIS_URL). Passwords come from standard input — piped
 * (`echo … | npx frontdesk staff add anna --role operator`) or typed, unechoed, twice.
 */
function fail(message: string, code = 1): never {
  process.stderr.write(`${message}\n`);
  process.exit(code);
}

async function withStore<T>(run: (store: KeyValuePort) => Promise<T>): Promise<T> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) fail(err.message, 78);
    throw err;
  }
  const store = await openStore(config);
  try {
    return await run(store);
  } catch (err) {
    if (err instanceof StaffAccountError) fail(err.message, 2);
    throw err;
  } finally {
    await store.close();
  }
}

function role(v: string): StaffRole {
  if (!(STAFF_ROLES as readonly string[]).includes(v)) throw new InvalidArgumentError(`one of ${STAFF_ROLES.join(", ")}`);
  return v as StaffRole;
}

async function readPiped(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  // one line: the trailing newline of `echo` is not part of the password
  return Buffer.concat(chunks).toString("utf8").split(/\r?\n/)[0] ?? "";
}

async function ask(question: string): Promise<string> {
  let muted = false;
  const output = new Writable({
    write(chunk: Buffer, _enc, done) {
      if (!muted) process.stderr.write(chunk);
      done();
    },
  });
  const rl = createInterface({ input: process.stdin, output, terminal: true });
  return new Promise((resolve) => {
    rl.question(question, (answer) => {
      rl.close();
      process.stderr.write("\n");
      resolve(answer);
    });
    muted = true;
  });
}

async function readPassword(): Promise<string> {
  if (!process.stdin.isTTY) return readPiped();
  const first = await ask("Пароль / password (10+ characters): ");
  const again = await ask("Ещё раз / again: ");
  if (first !== again) fail("the two passwords differ; nothing changed", 2);
  return first;
}

export function registerStaffCommands(program: Command): void {
  const staff = program.command("staff").description("staff accounts for the web inbox (owner, operator, viewer)");

  staff
    .command("add <login>")
    .description("add a staff account; the password is read from standard input")
    .requiredOption("--role <role>", `${STAFF_ROLES.join(" | ")}`, role)
    .action(async (login: string, opts: { role: StaffRole }) => {
      const password = await readPassword();
      await withStore((store) => createStaffAccount(store, { login, role: opts.role, password }));
      process.stdout.write(`added ${login.toLowerCase()} (${opts.role}); they sign in at /staff/login\n`);
    });

  staff
    .command("list")
    .description("the team: login, role, when added")
    .option("--json", "print JSON")
    .action(async (opts: { json?: boolean }) => {
      const team = await withStore((store) => listStaffAccounts(store));
      if (opts.json) return void process.stdout.write(`${JSON.stringify(team, null, 2)}\n`);
      if (team.length === 0) return void process.stdout.write('no staff accounts yet: add one with "npx frontdesk staff add <login> --role owner"\n');
      for (const a of team) process.stdout.write(`${a.login.padEnd(24)} ${a.role.padEnd(9)} added ${new Date(a.createdAt).toISOString().slice(0, 10)}\n`);
    });

  staff
    .command("remove <login>")
    .description("remove a staff account; its sessions end at once")
    .action(async (login: string) => {
      const removed = await withStore((store) => removeStaffAccount(store, login));
      if (!removed) fail(`no staff account ${login}`, 2);
      process.stdout.write(`removed ${login.toLowerCase()}\n`);
    });

  staff
    .command("passwd <login>")
    .description("set a new password (read from standard input); sessions with the old one end")
    .action(async (login: string) => {
      const password = await readPassword();
      await withStore((store) => setStaffPassword(store, login, password));
      process.stdout.write(`password changed for ${login.toLowerCase()}\n`);
    });
}
