import { randomBytes, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from "node:crypto";
import { z } from "zod";
import type { KeyValuePort } from "../store/kv.ts";

/**
 * Staff accounts, kept in the key-value port (namespace "staff", one record per
 * login), so every instance sees the same team. There is no default account and no
 * default password: the first owner is made with `npx frontdesk staff add`.
 * Passwords are hashed with scrypt (N=2^17, r=8, p=1: 128 MiB, about a tenth of a
 * second per try on a server core), each with its own salt.
 */
export const STAFF_ROLES = ["owner", "operator", "viewer"] as const;
export type StaffRole = (typeof STAFF_ROLES)[number];

export const ACCOUNTS_NS = "staff";
export const MIN_PASSWORD = 10;
const MAX_PASSWORD = 256;

const SCRYPT = { N: 2 ** 17, r: 8, p: 1 } as const;
const KEY_LEN = 32;
/** 128 * N * r bytes are needed; node's default maxmem (32 MiB) is too small */
const MAXMEM = 256 * 1024 * 1024;

export class StaffAccountError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "StaffAccountError";
  }
}

export const LoginSchema = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^[a-z0-9][a-z0-9._-]{1,39}$/, "a login is 2-40 characters: latin letters, digits, dot, dash, underscore");

const RoleSchema = z.enum(STAFF_ROLES, { message: `the role is one of ${STAFF_ROLES.join(", ")}` });

const StoredAccount = z.object({
  login: z.string(),
  role: RoleSchema,
  /** scrypt$N$r$p$salt$hash, base64url parts */
  hash: z.string(),
  createdAt: z.number(),
  updatedAt: z.number(),
  /** bumped on a new password or removal: older sessions stop working */
  generation: z.number().int().default(0),
});
type StoredAccount = z.infer<typeof StoredAccount>;

/** what the rest of the service sees of an account (never the hash) */
export interface StaffAccount {
  login: string;
  role: StaffRole;
  createdAt: number;
  updatedAt: number;
  generation: number;
}

function scrypt(password: string, salt: Buffer, opts: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scryptCb(password.normalize("NFKC"), salt, KEY_LEN, opts, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

function checkPassword(password: string): void {
  if (typeof password !== "string" || password.length < MIN_PASSWORD) {
    throw new StaffAccountError(`the password must be at least ${MIN_PASSWORD} characters`);
  }
  if (password.length > MAX_PASSWORD) throw new StaffAccountError(`the password must be at most ${MAX_PASSWORD} characters`);
  if (password.trim() !== password) throw new StaffAccountError("the password must not start or end with spaces");
}

function parseLogin(login: string): string {
  const parsed = LoginSchema.safeParse(login);
  if (!parsed.success) throw new StaffAccountError(parsed.error.issues[0]!.message);
  return parsed.data;
}

async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scrypt(password, salt, { ...SCRYPT, maxmem: MAXMEM });
  return ["scrypt", SCRYPT.N, SCRYPT.r, SCRYPT.p, salt.toString("base64url"), key.toString("base64url")].join("$");
}

async function matches(password: string, stored: string): Promise<boolean> {
  const [alg, n, r, p, salt, key] = stored.split("$");
  if (alg !== "scrypt" || !salt || !key) return false;
  const expected = Buffer.from(key, "base64url");
  const got = await scrypt(password, Buffer.from(salt, "base64url"), { N: Number(n), r: Number(r), p: Number(p), maxmem: MAXMEM });
  return got.length === expected.length && timingSafeEqual(got, expected);
}

/** a hash of nothing, verified against when the login is unknown (same time either way) */
let decoy: Promise<string> | undefined;

async function read(kv: KeyValuePort, login: string): Promise<StoredAccount | null> {
  const raw = await kv.kvGet(ACCOUNTS_NS, login);
  if (raw === null) return null;
  const parsed = StoredAccount.safeParse(JSON.parse(raw));
  return parsed.success ? parsed.data : null;
}

function publicView(a: StoredAccount): StaffAccount {
  return { login: a.login, role: a.role, createdAt: a.createdAt, updatedAt: a.updatedAt, generation: a.generation };
}

export async function createStaffAccount(
  kv: KeyValuePort,
  input: { login: string; role: StaffRole; password: string },
  now: number = Date.now(),
): Promise<void> {
  const login = parseLogin(input.login);
  const role = RoleSchema.safeParse(input.role);
  if (!role.success) throw new StaffAccountError(role.error.issues[0]!.message);
  checkPassword(input.password);
  const record: StoredAccount = { login, role: role.data, hash: await hashPassword(input.password), createdAt: now, updatedAt: now, generation: 0 };
  if (!(await kv.kvSet(ACCOUNTS_NS, login, JSON.stringify(record), { ifAbsent: true }))) {
    throw new StaffAccountError(`the login ${login} is taken; choose another or use "staff passwd"`);
  }
}

/** the account when the password is right, else null (same work for an unknown login) */
export async function verifyStaffPassword(kv: KeyValuePort, login: string, password: string): Promise<StaffAccount | null> {
  const parsed = LoginSchema.safeParse(login);
  const account = parsed.success ? await read(kv, parsed.data) : null;
  if (typeof password !== "string" || password.length === 0 || password.length > MAX_PASSWORD) return null;
  if (!account) {
    await matches(password, await (decoy ??= hashPassword(randomBytes(12).toString("hex"))));
    return null;
  }
  return (await matches(password, account.hash)) ? publicView(account) : null;
}

export async function getStaffAccount(kv: KeyValuePort, login: string): Promise<StaffAccount | null> {
  const parsed = LoginSchema.safeParse(login);
  if (!parsed.success) return null;
  const a = await read(kv, parsed.data);
  return a ? publicView(a) : null;
}

export async function listStaffAccounts(kv: KeyValuePort): Promise<StaffAccount[]> {
  const rows = await kv.kvList(ACCOUNTS_NS, 1000);
  const out: StaffAccount[] = [];
  for (const { value } of rows) {
    const parsed = StoredAccount.safeParse(JSON.parse(value));
    if (parsed.success) out.push(publicView(parsed.data));
  }
  return out.sort((a, b) => a.login.localeCompare(b.login));
}

/** false when there was no such login */
export async function removeStaffAccount(kv: KeyValuePort, login: string): Promise<boolean> {
  return kv.kvDelete(ACCOUNTS_NS, parseLogin(login));
}

/** a new password; sessions opened with the old one end */
export async function setStaffPassword(kv: KeyValuePort, login: string, password: string, now: number = Date.now()): Promise<void> {
  const name = parseLogin(login);
  checkPassword(password);
  const account = await read(kv, name);
  if (!account) throw new StaffAccountError(`no staff account ${name}; add it with "staff add ${name} --role operator"`);
  const updated: StoredAccount = { ...account, hash: await hashPassword(password), updatedAt: now, generation: account.generation + 1 };
  await kv.kvSet(ACCOUNTS_NS, name, JSON.stringify(updated));
}
