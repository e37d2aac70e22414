import type { FastifyInstance } from "fastify";
import { createStaffAccount, type StaffRole } from "../../src/staff/accounts.ts";
import type { KeyValuePort } from "../../src/store/kv.ts";

/**
 * Staff sign-in over fastify's inject, the way a browser does it: fetch the login
 * page (its one-off token and cookie), post the form from our own origin, keep the
 * session cookie, read the CSRF token from the page.
 */
export const STAFF_PASSWORD = "correct horse battery";
export const ORIGIN = "http://localhost:80";

export async function addStaff(kv: KeyValuePort, login: string, role: StaffRole, password = STAFF_PASSWORD): Promise<void> {
  await createStaffAccount(kv, { login, role, password });
}

export interface InjectedStaff {
  cookie: string;
  csrf: string;
}

export function cookiesOf(setCookie: string | string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const c of [setCookie ?? []].flat()) {
    const [pair] = c.split(";");
    const eq = pair!.indexOf("=");
    out[pair!.slice(0, eq)] = pair!.slice(eq + 1);
  }
  return out;
}

export async function loginForm(http: FastifyInstance): Promise<{ pre: string; cookie: string }> {
  const page = await http.inject({ method: "GET", url: "/staff/login", headers: { host: "localhost:80" } });
  const pre = /name="_pre" value="([^"]+)"/.exec(page.body)?.[1] ?? "";
  return { pre, cookie: `fd_pre=${cookiesOf(page.headers["set-cookie"]).fd_pre}` };
}

export async function postLogin(http: FastifyInstance, login: string, password: string, headers: Record<string, string> = {}) {
  const form = await loginForm(http);
  return http.inject({
    method: "POST",
    url: "/staff/login",
    headers: { host: "localhost:80", origin: ORIGIN, cookie: form.cookie, "content-type": "application/x-www-form-urlencoded", ...headers },
    payload: new URLSearchParams({ login, password, _pre: form.pre }).toString(),
  });
}

export async function signIn(http: FastifyInstance, login: string, password = STAFF_PASSWORD): Promise<InjectedStaff> {
  const res = await postLogin(http, login, password);
  if (res.statusCode !== 303) throw new Error(`sign-in of ${login} answered ${res.statusCode}: ${res.body.slice(0, 300)}`);
  const cookie = `fd_staff=${cookiesOf(res.headers["set-cookie"]).fd_staff}`;
  const inbox = await http.inject({ method: "GET", url: "/staff/", headers: { host: "localhost:80", cookie } });
  const csrf = /name="csrf-token" content="([^"]+)"/.exec(inbox.body)?.[1] ?? "";
  return { cookie, csrf };
}

/** a form post from a signed-in page (origin, cookie, token), as the browser sends it */
export function staffPost(http: FastifyInstance, who: InjectedStaff, url: string, form: Record<string, string>, opts: { origin?: string; csrf?: string | null } = {}) {
  const token = opts.csrf === undefined ? who.csrf : opts.csrf;
  return http.inject({
    method: "POST",
    url,
    headers: {
      host: "localhost:80",
      origin: opts.origin ?? ORIGIN,
      cookie: who.cookie,
      "content-type": "application/x-www-form-urlencoded",
    },
    payload: new URLSearchParams({ ...form, ...(token !== null ? { _csrf: token } : {}) }).toString(),
  });
}
