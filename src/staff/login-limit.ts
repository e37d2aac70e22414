import type { KeyValuePort } from "../store/kv.ts";

/**
 * Failed staff logins counted per login and per address in the key-value port (shared
 * by instances): past the limit, further tries are refused for the rest of the window
 * without checking the password, so guessing is slow and costs no scrypt work.
 */
export const LOGIN_LIMIT_NS = "staff.login";
export const LOGIN_WINDOW_MS = 15 * 60_000;
export const MAX_FAILURES_PER_LOGIN = 5;
export const MAX_FAILURES_PER_ADDRESS = 20;

export interface LoginBlock {
  /** ms until another try is allowed */
  retryAfterMs: number;
}

const keys = (login: string, address: string) => ({ login: `login:${login.toLowerCase().slice(0, 80)}`, address: `addr:${address.slice(0, 80)}` });

/** null when a try is allowed now */
export async function loginBlocked(kv: KeyValuePort, login: string, address: string): Promise<LoginBlock | null> {
  const k = keys(login, address);
  // reading by adding 0 answers the expiry too
  const [byLogin, byAddress] = await Promise.all([kv.kvIncr(LOGIN_LIMIT_NS, k.login, 0, LOGIN_WINDOW_MS), kv.kvIncr(LOGIN_LIMIT_NS, k.address, 0, LOGIN_WINDOW_MS)]);
  const over = [
    byLogin.value >= MAX_FAILURES_PER_LOGIN ? byLogin.ttlMs : null,
    byAddress.value >= MAX_FAILURES_PER_ADDRESS ? byAddress.ttlMs : null,
  ].filter((t): t is number => t !== null);
  if (over.length === 0) return null;
  return { retryAfterMs: Math.max(1000, ...over) };
}

export async function loginFailed(kv: KeyValuePort, login: string, address: string): Promise<void> {
  const k = keys(login, address);
  await Promise.all([kv.kvIncr(LOGIN_LIMIT_NS, k.login, 1, LOGIN_WINDOW_MS), kv.kvIncr(LOGIN_LIMIT_NS, k.address, 1, LOGIN_WINDOW_MS)]);
}

/** a right password clears the login's count (not the address's: one address may try many logins) */
export async function loginSucceeded(kv: KeyValuePort, login: string): Promise<void> {
  await kv.kvDelete(LOGIN_LIMIT_NS, keys(login, "").login);
}
