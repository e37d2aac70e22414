import type { Config } from "../config.ts";
import { createStaffAccount, LoginSchema, MIN_PASSWORD } from "../staff/accounts.ts";
import { openStore } from "../store/open.ts";

/**
 * The first owner account `frontdesk init` creates, through the staff accounts' own
 * function (src/staff/accounts.ts), in the store the new .env points at. The one
 * place init meets staff accounts.
 */
export type OwnerOutcome = { created: true; login: string } | { created: false; message: string };

/** a problem with the login or password before anything is written, or undefined */
export function ownerProblem(login: string, password: string): string | undefined {
  const parsed = LoginSchema.safeParse(login);
  if (!parsed.success) return `--owner-login: ${parsed.error.issues[0]!.message}`;
  if (password.length < MIN_PASSWORD) return `--owner-password: at least ${MIN_PASSWORD} characters`;
  if (password.trim() !== password) return "--owner-password: no spaces at the start or end";
  return undefined;
}

export async function createFirstOwner(where: Pick<Config, "dataDir" | "redisUrl">, owner: { login: string; password: string }): Promise<OwnerOutcome> {
  const store = await openStore(where);
  try {
    await createStaffAccount(store, { login: owner.login, role: "owner", password: owner.password });
    return { created: true, login: LoginSchema.parse(owner.login) };
  } catch (err) {
    return { created: false, message: `Owner account ${owner.login} not created: ${(err as Error).message}` };
  } finally {
    await store.close();
  }
}
