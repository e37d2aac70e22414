import type { Config } from "../config.ts";
import type { KeyValuePort } from "../store/kv.ts";
import { openStore } from "../store/open.ts";

/**
 * The first owner account `frontdesk init` creates, through the staff accounts'
 * own function (src/staff/accounts.ts, the staff branch's), in the store the new
 * .env points at. The one place init meets staff accounts.
 */
export type CreateStaffAccount = (
  kv: KeyValuePort,
  input: { login: string; role: "owner" | "operator" | "viewer"; password: string },
) => Promise<void>;

export type OwnerOutcome = { created: true } | { created: false; message: string };

// resolved at run time, so this module builds before src/staff/accounts.ts is merged in
const ACCOUNTS_MODULE = "../staff/accounts.ts";

async function staffAccounts(): Promise<CreateStaffAccount | undefined> {
  try {
    const mod = (await import(ACCOUNTS_MODULE)) as { createStaffAccount?: unknown };
    return typeof mod.createStaffAccount === "function" ? (mod.createStaffAccount as CreateStaffAccount) : undefined;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ERR_MODULE_NOT_FOUND") return undefined;
    throw err;
  }
}

export async function createFirstOwner(
  where: Pick<Config, "dataDir" | "redisUrl">,
  owner: { login: string; password: string },
  create?: CreateStaffAccount,
): Promise<OwnerOutcome> {
  const fn = create ?? (await staffAccounts());
  if (!fn) {
    return {
      created: false,
      message: `Owner account: staff accounts are not part of this build yet; add the owner later with: npx frontdesk staff add ${owner.login} --role owner`,
    };
  }
  const store = await openStore(where);
  try {
    await fn(store, { login: owner.login, role: "owner", password: owner.password });
    return { created: true };
  } catch (err) {
    return { created: false, message: `Owner account ${owner.login} not created: ${(err as Error).message}` };
  } finally {
    await store.close();
  }
}
