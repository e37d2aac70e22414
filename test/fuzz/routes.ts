import fc from "fast-check";
import type { Channel } from "../../src/model/channel.ts";
import { FAKE_VK_SECRET, vkEvent, vkMessageNew } from "../fakes/vk-api.ts";
import { maxText } from "../fakes/max-api.ts";
import { signWhatsApp, waText, whatsappBatch } from "../fakes/whatsapp-api.ts";
import { MAX_SECRET, STAFF_TOKEN, TG_SECRET, WA_SECRET, WA_VERIFY, type Harness } from "../support/harness.ts";
import { anyBody, mutate, mutation, type Mutation } from "./bodies.ts";

/**
 * Every public route the fuzzer throws bodies at, one entry each: a route added
 * later (MAX's webhook, the staff login) is one more entry. An entry turns a
 * generated case into a request and says whether it is authentic (signed, with the
 * right secret, token or session); only authentic requests may ever cause a send.
 */
export interface FuzzRequest {
  method: "GET" | "POST";
  url: string;
  headers: Record<string, string>;
  body?: string;
  authentic: boolean;
  /** an unmutated customer message from a chat of its own: it must get exactly one reply */
  valid?: { channel: Channel; chat: string };
  /** deliver it twice, as a platform redelivering would */
  twice?: boolean;
  /** for the WhatsApp verification: the challenge a right token must echo */
  challenge?: string;
}

export type Variant = "valid" | "mutated_signed" | "junk_signed" | "forged" | "forged_mutant" | "forged_junk";
export interface FuzzCase {
  variant: Variant;
  text: string;
  mutation: Mutation;
  junk: string;
  twice: boolean;
  pick: number;
}

export interface FuzzContext {
  h: Harness;
  next(): number;
  /** a new test user's web-chat cookie and session id */
  webSession(): Promise<{ cookie: string; session: string }>;
}

export interface FuzzRoute {
  name: string;
  build(c: FuzzCase, ctx: FuzzContext): Promise<FuzzRequest>;
}

/** what a customer might write, and anything at all */
const customerText = fc.oneof(
  fc.constantFrom("/start", "привет", "сколько стоит доставка?", "меню", "оператор", "батончики", "2", "хочу стать франчайзи", "стоп"),
  fc.string({ minLength: 1, maxLength: 60 }).map((s) => `а${s}`),
);

export function fuzzCase(weights: Partial<Record<Variant, number>> = {}): fc.Arbitrary<FuzzCase> {
  const w = { valid: 3, mutated_signed: 4, junk_signed: 3, forged: 3, forged_mutant: 3, forged_junk: 4, ...weights };
  const variant = fc.oneof(
    ...(Object.entries(w) as [Variant, number][]).filter(([, weight]) => weight > 0).map(([v, weight]) => ({ arbitrary: fc.constant(v), weight })),
  );
  return fc.record({ variant, text: customerText, mutation, junk: anyBody, twice: fc.boolean(), pick: fc.nat() });
}

const json = { "content-type": "application/json" };
/** percent-encoding that also takes lone surrogates (encodeURIComponent throws on them) */
const enc = (s: string) => encodeURIComponent(s.replace(/[\ud800-\udfff]/g, "\ufffd"));
const forgedSecret = (c: FuzzCase) => [undefined, "", "wrong", c.junk.slice(0, 40)][c.pick % 4];

/** a body for the variant: valid, mutated, or junk */
function shape(c: FuzzCase, valid: string): string {
  if (c.variant === "valid" || c.variant === "forged") return valid;
  if (c.variant === "mutated_signed" || c.variant === "forged_mutant") return mutate(valid, c.mutation);
  return c.junk;
}
/** chat ids by kind, so a send can be traced to the request that caused it */
function chatFor(c: FuzzCase, base: number, n: number): number {
  return base + (c.variant === "valid" ? 0 : c.variant.startsWith("forged") ? 20_000_000 : 10_000_000) + n;
}
const authentic = (c: FuzzCase) => !c.variant.startsWith("forged");

const telegram: FuzzRoute = {
  name: "telegram webhook",
  async build(c, { next }) {
    const n = next();
    const chat = chatFor(c, 1_000_000, n);
    const from = { id: chat, is_bot: false, first_name: "Фаз", language_code: "ru" };
    const valid = JSON.stringify({ update_id: 500_000 + n, message: { message_id: n, date: 1_790_000_000, chat: { id: chat, type: "private", first_name: "Фаз" }, from, text: c.text } });
    const secret = authentic(c) ? TG_SECRET : forgedSecret(c);
    return {
      method: "POST",
      url: "/webhooks/telegram",
      headers: { ...json, ...(secret !== undefined ? { "x-telegram-bot-api-secret-token": secret } : {}) },
      body: shape(c, valid),
      authentic: authentic(c),
      ...(c.variant === "valid" ? { valid: { channel: "telegram" as const, chat: String(chat) }, twice: c.twice } : {}),
    };
  },
};

const whatsappPost: FuzzRoute = {
  name: "whatsapp webhook POST",
  async build(c, { next }) {
    const n = next();
    const phone = `79${chatFor(c, 100_000_000, n)}`;
    const body = shape(c, JSON.stringify(whatsappBatch([waText(phone, c.text)])));
    const signature = authentic(c) ? signWhatsApp(body, WA_SECRET) : [undefined, signWhatsApp(body, "not-the-secret"), "sha256=00", c.junk.slice(0, 80)][c.pick % 4];
    return {
      method: "POST",
      url: "/webhooks/whatsapp",
      headers: { ...json, ...(signature !== undefined ? { "x-hub-signature-256": signature } : {}) },
      body,
      authentic: authentic(c),
      ...(c.variant === "valid" ? { valid: { channel: "whatsapp" as const, chat: phone }, twice: c.twice } : {}),
    };
  },
};

const whatsappVerify: FuzzRoute = {
  name: "whatsapp webhook GET (verify)",
  async build(c) {
    const challenge = String(c.pick);
    const token = authentic(c) ? WA_VERIFY : [WA_VERIFY.slice(1), "", c.junk.slice(0, 50), `${WA_VERIFY} `][c.pick % 4]!;
    const mode = c.variant === "junk_signed" ? c.junk.slice(0, 20) : "subscribe";
    const extra = c.variant === "mutated_signed" || c.variant === "forged_mutant" ? `&${enc(c.junk.slice(0, 30))}=${enc(c.text)}` : "";
    const url = `/webhooks/whatsapp?hub.mode=${enc(mode)}&hub.verify_token=${enc(token)}&hub.challenge=${challenge}${extra}`;
    return { method: "GET", url, headers: {}, authentic: authentic(c) && mode === "subscribe", challenge };
  },
};

const vk: FuzzRoute = {
  name: "vk webhook",
  async build(c, { next }) {
    const n = next();
    const peer = chatFor(c, 100_000_000, n);
    const secret = authentic(c) ? FAKE_VK_SECRET : forgedSecret(c) ?? null;
    const event = vkEvent("message_new", vkMessageNew({ peerId: peer, text: c.text, id: 900_000 + n }), { secret, eventId: `fz${n}` });
    const body = c.variant === "forged_junk" || c.variant === "junk_signed" ? c.junk : shape(c, JSON.stringify(event));
    return {
      method: "POST",
      url: "/webhooks/vk",
      headers: json,
      body,
      // VK signs with the secret inside the body: a signed junk body is not authentic
      authentic: authentic(c) && c.variant !== "junk_signed",
      ...(c.variant === "valid" ? { valid: { channel: "vk" as const, chat: String(peer) }, twice: c.twice } : {}),
    };
  },
};

const webPost: FuzzRoute = {
  name: "web chat POST messages",
  async build(c, { next, webSession }) {
    const n = next();
    const own = authentic(c) ? await webSession() : undefined;
    const cookie = own ? own.cookie : [undefined, "fd_chat=AAAAAAAAAAAAAAAAAAAAAA", `fd_chat=${enc(c.junk.slice(0, 30))}`, "fd_chat="][c.pick % 4];
    const valid = JSON.stringify({ id: `fz${n}msg`, text: c.text });
    return {
      method: "POST",
      url: "/webchat/api/messages",
      headers: { ...json, ...(cookie ? { cookie } : {}) },
      body: shape(c, valid),
      authentic: authentic(c),
      ...(c.variant === "valid" && own ? { valid: { channel: "web" as const, chat: own.session }, twice: c.twice } : {}),
    };
  },
};

const webPoll: FuzzRoute = {
  name: "web chat GET messages",
  async build(c, { webSession }) {
    const own = authentic(c) ? await webSession() : undefined;
    const cookie = own?.cookie ?? [undefined, "fd_chat=AAAAAAAAAAAAAAAAAAAAAA", `fd_chat=${enc(c.junk.slice(0, 30))}`][c.pick % 3];
    const query = c.variant === "valid" || c.variant === "forged" ? `after=${(c.pick % 5) - 1}&wait=0` : `after=${enc(c.junk.slice(0, 40))}&wait=0&${enc(c.text)}=1`;
    const headers: Record<string, string> = cookie ? { cookie } : {};
    return { method: "GET", url: `/webchat/api/messages?${query}`, headers, authentic: authentic(c) };
  },
};

const webSessionRoute: FuzzRoute = {
  name: "web chat POST session",
  async build(c) {
    return { method: "POST", url: "/webchat/api/session", headers: json, body: shape(c, "{}"), authentic: true };
  },
};

/** staff writes aim at chats and records that do not exist, so they never send (a 404 is the point) */
const STAFF_CALLS: { method: "GET" | "POST"; path: string; body?: (c: FuzzCase) => string }[] = [
  { method: "GET", path: "/api/inbox" },
  { method: "GET", path: "/api/contacts?limit=5" },
  { method: "GET", path: "/api/orders?limit=5" },
  { method: "GET", path: "/api/outbox?status=held" },
  { method: "GET", path: "/api/dead-letters" },
  { method: "GET", path: "/api/report/funnel" },
  { method: "GET", path: "/api/conversations/telegram:999" },
  { method: "POST", path: "/api/conversations/telegram:999/reply", body: (c) => JSON.stringify({ text: c.text, by: "Фаз" }) },
  { method: "POST", path: "/api/conversations/vk:999/take", body: () => "{}" },
  { method: "POST", path: "/api/orders/ord_nope/status", body: () => JSON.stringify({ status: "shipped" }) },
  { method: "POST", path: "/api/contacts/ct_nope/touchpoints", body: (c) => JSON.stringify({ summary: c.text }) },
  { method: "POST", path: "/api/outbox/ob_nope/requeue" },
  { method: "POST", path: "/api/dead-letters/in_nope/retry" },
];

const staffApi: FuzzRoute = {
  name: "staff API",
  async build(c) {
    const call = STAFF_CALLS[c.pick % STAFF_CALLS.length]!;
    const token = authentic(c) ? `${["Bearer", "bearer", "BEARER"][c.pick % 3]} ${STAFF_TOKEN}` : [undefined, `Bearer ${STAFF_TOKEN.slice(0, -1)}`, `Basic ${STAFF_TOKEN}`, c.junk.slice(0, 60)][c.pick % 4];
    const valid = call.body?.(c);
    const body = call.method === "POST" ? shape(c, valid ?? "{}") : undefined;
    const path = c.variant === "mutated_signed" || c.variant === "forged_mutant" ? call.path + enc(c.junk.slice(0, 20)) : call.path;
    return {
      method: call.method,
      url: path,
      headers: { ...(body !== undefined ? json : {}), ...(token ? { authorization: token.replace(/[\r\n]/g, "") } : {}) },
      ...(body !== undefined ? { body } : {}),
      authentic: authentic(c),
    };
  },
};

const max: FuzzRoute = {
  name: "max webhook",
  async build(c, { next }) {
    const n = next();
    // the update names the dialog's chat id, so a send there is traced to this body
    const body = shape(c, JSON.stringify(maxText({ userId: chatFor(c, 300_000_000, n), text: c.text, mid: `mid.fz${n}` })));
    const secret = authentic(c) ? MAX_SECRET : forgedSecret(c);
    return {
      method: "POST",
      url: "/webhooks/max",
      headers: { ...json, ...(secret !== undefined ? { "x-max-bot-api-secret": secret } : {}) },
      body,
      authentic: authentic(c),
    };
  },
};

/** sign-in: nobody gets in with made-up logins and passwords, and nothing is sent */
const staffLogin: FuzzRoute = {
  name: "staff login",
  async build(c) {
    const form = `login=${enc(c.text)}&password=${enc(c.junk.slice(0, 80))}&csrf=${enc(c.junk.slice(80, 120))}`;
    const body = c.variant === "valid" || c.variant === "forged" ? form : c.junk;
    return { method: "POST", url: "/staff/login", headers: { "content-type": "application/x-www-form-urlencoded" }, body, authentic: false };
  },
};

/** the table: one line per public route */
export const FUZZ_ROUTES: FuzzRoute[] = [telegram, whatsappPost, whatsappVerify, vk, max, webPost, webPoll, webSessionRoute, staffApi, staffLogin];
