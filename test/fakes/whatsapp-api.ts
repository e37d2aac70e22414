import { createHmac, randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { readForm } from "./multipart.ts";

/**
 * A local stand-in for the WhatsApp Cloud API (Graph) send endpoint (and GET of the phone number):
 * `POST /<version>/<phone_number_id>/messages` with `Authorization: Bearer <token>`,
 * answering the documented success shape (W13) or Graph errors on demand.
 * Point the adapter at it with WhatsAppConfig.apiBase = fake.apiBase.
 */

export interface FakeWhatsAppCall {
  path: string;
  version: string;
  phoneNumberId: string;
  /** the parsed JSON request body */
  body: Record<string, unknown>;
  at: number;
}

export interface FakeGraphFailure {
  /** HTTP status, e.g. 400, 429, 500 */
  status: number;
  /** Graph error code, e.g. 130429, 131047 */
  code?: number;
  message?: string;
  subcode?: number;
}

/** a file uploaded with POST /<version>/<phone-number-id>/media (multipart: messaging_product, type, file) */
export interface FakeWhatsAppUpload {
  id: string;
  phoneNumberId: string;
  type: string;
  filename: string;
  size: number;
  at: number;
}

export interface FakeWhatsApp {
  /** e.g. http://127.0.0.1:PORT (no trailing slash) */
  apiBase: string;
  /** the bearer token the fake accepts */
  token: string;
  /** every authorised request that reached the messages endpoint, in order (including failed ones) */
  calls: FakeWhatsAppCall[];
  /** calls that send a message (read receipts excluded) */
  messages(): FakeWhatsAppCall[];
  /** read receipts: bodies with status "read" */
  readReceipts(): FakeWhatsAppCall[];
  /** resolves with messages() once there are at least n; rejects after timeoutMs */
  waitForMessages(n: number, timeoutMs?: number): Promise<FakeWhatsAppCall[]>;
  /** resolves once at least n read receipts arrived */
  waitForReadReceipts(n: number, timeoutMs?: number): Promise<FakeWhatsAppCall[]>;
  /** answer the next n message/read requests with this Graph error */
  failNext(n: number, failure: FakeGraphFailure): void;
  /** delay every answer by ms (benchmarks: simulate Graph latency) */
  setLatency(ms: number): void;
  /** media uploads, in order (not in `calls`) */
  uploads(): FakeWhatsAppUpload[];
  /** the next n uploads fail with this Graph error */
  failUploads(n: number, failure: FakeGraphFailure): void;
  /** the media ids given so far expire: a message using one is refused (as Meta does after 30 days) */
  expireMedia(): void;
  /** forget calls, pending failures and latency */
  reset(): void;
  close(): Promise<void>;
}

export interface FakeWhatsAppOptions {
  token?: string;
  /** the business number's id; GET of any other answers Graph's "does not exist" (default: any id exists) */
  phoneNumberId?: string;
}

export const FAKE_WHATSAPP_TOKEN = "fake-wa-token";

function graphError(res: ServerResponse, status: number, code: number, message: string, subcode?: number): void {
  const body = {
    error: {
      message,
      type: "OAuthException",
      code,
      error_subcode: subcode ?? 2494010,
      fbtrace_id: `A${randomBytes(8).toString("hex")}`,
    },
  };
  res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** Cloud API media types for images (W: "Supported media types"), at most 5 MB */
const IMAGE_TYPES = new Set(["image/jpeg", "image/png"]);
const IMAGE_MAX = 5 * 1024 * 1024;

export async function startFakeWhatsApp(opts: FakeWhatsAppOptions = {}): Promise<FakeWhatsApp> {
  const token = opts.token ?? FAKE_WHATSAPP_TOKEN;
  const calls: FakeWhatsAppCall[] = [];
  const failures: FakeGraphFailure[] = [];
  const waiters = new Set<() => void>();
  let latency = 0;
  let seq = 0;
  let uploads: FakeWhatsAppUpload[] = [];
  const uploadFailures: FakeGraphFailure[] = [];
  let media = new Set<string>();
  let expired = new Set<string>();
  let nextMedia = 1;

  /** POST /<version>/<phone-number-id>/media: multipart with messaging_product, type and file; answers {id} */
  const upload = async (res: ServerResponse, req: IncomingMessage, phoneNumberId: string, raw: Buffer) => {
    if (req.headers.authorization !== `Bearer ${token}`) {
      return graphError(res, 401, 190, "Invalid OAuth access token - Cannot parse access token", 463);
    }
    const type = String(req.headers["content-type"] ?? "");
    if (!type.toLowerCase().startsWith("multipart/form-data")) return graphError(res, 400, 100, "(#100) The parameter file is required.");
    const form = readForm(raw, type);
    const failure = uploadFailures.shift();
    if (failure) return graphError(res, failure.status, failure.code ?? failure.status, failure.message ?? "fake upload failure", failure.subcode);
    if (form.fields.get("messaging_product") !== "whatsapp") return graphError(res, 400, 100, "(#100) The parameter messaging_product is required.");
    const file = form.files.get("file");
    if (!file) return graphError(res, 400, 100, "(#100) The parameter file is required.");
    const declared = form.fields.get("type") ?? file.type ?? "";
    if (!IMAGE_TYPES.has(declared) || file.data.length === 0 || file.data.length > IMAGE_MAX) {
      return graphError(res, 400, 131053, "Media upload error: unsupported type or size");
    }
    const id = String(1_000_000_000_000_000 + nextMedia++);
    media.add(id);
    uploads.push({ id, phoneNumberId, type: declared, filename: file.filename ?? "", size: file.data.length, at: Date.now() });
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ id }));
  };
  /** an image message naming a media id Meta does not have (expired, another number's) */
  const badMediaId = (body: Record<string, unknown>): string | undefined => {
    const image = (body.image ?? (body.interactive as { header?: { image?: unknown } } | undefined)?.header?.image) as { id?: unknown } | undefined;
    if (!image || image.id === undefined) return undefined;
    const id = String(image.id);
    return media.has(id) && !expired.has(id) ? undefined : id;
  };

  const isRead = (c: FakeWhatsAppCall) => c.body.status === "read";
  /** GET /<version>/<phone-number-id>: the business phone number, as Graph documents it */
  const phoneNumber = (res: ServerResponse, req: IncomingMessage, id: string) => {
    if (req.headers.authorization !== `Bearer ${token}`) {
      return graphError(res, 401, 190, "Invalid OAuth access token - Cannot parse access token", 463);
    }
    if (opts.phoneNumberId !== undefined && id !== opts.phoneNumberId) {
      return graphError(
        res,
        400,
        100,
        `Unsupported get request. Object with ID '${id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation.`,
        33,
      );
    }
    res.writeHead(200, { "content-type": "application/json" }).end(
      JSON.stringify({
        verified_name: "ФитПерекус",
        code_verification_status: "VERIFIED",
        display_phone_number: "+7 916 000-00-00",
        quality_rating: "GREEN",
        platform_type: "CLOUD_API",
        throughput: { level: "STANDARD" },
        id,
      }),
    );
  };
  const notify = () => {
    for (const w of [...waiters]) w();
  };

  const server = createServer((req, res) => {
    void (async () => {
      const raw = await readBody(req);
      const text = raw.toString("utf8");
      if (latency > 0) await new Promise((r) => setTimeout(r, latency));
      const url = new URL(req.url ?? "/", "http://fake");
      const phone = /^\/(v\d+\.\d+)\/(\d+)$/.exec(url.pathname);
      if (req.method === "GET" && phone) return phoneNumber(res, req, phone[2]!);
      const mediaPath = /^\/(v\d+\.\d+)\/(\d+)\/media$/.exec(url.pathname);
      if (req.method === "POST" && mediaPath) return upload(res, req, mediaPath[2]!, raw);
      const m = /^\/(v\d+\.\d+)\/([^/]+)\/messages$/.exec(url.pathname);
      if (req.method !== "POST" || !m) {
        return graphError(res, 404, 100, `Unknown path components: ${url.pathname}`, 33);
      }
      if (req.headers.authorization !== `Bearer ${token}`) {
        return graphError(res, 401, 190, "Invalid OAuth access token - Cannot parse access token", 463);
      }
      let body: Record<string, unknown>;
      try {
        const parsed: unknown = JSON.parse(text);
        if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) throw new Error("not an object");
        body = parsed as Record<string, unknown>;
      } catch {
        return graphError(res, 400, 100, "(#100) The parameter messaging_product is required.");
      }
      calls.push({ path: url.pathname, version: m[1]!, phoneNumberId: m[2]!, body, at: Date.now() });
      notify();
      const failure = failures.shift();
      if (failure) {
        return graphError(res, failure.status, failure.code ?? failure.status, failure.message ?? "fake failure", failure.subcode);
      }
      if (body.messaging_product !== "whatsapp") {
        return graphError(res, 400, 100, "(#100) The parameter messaging_product is required.");
      }
      if (body.status === "read") {
        if (typeof body.message_id !== "string") return graphError(res, 400, 100, "(#100) Invalid parameter");
        return res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ success: true }));
      }
      const to = body.to;
      if (typeof to !== "string" || typeof body.type !== "string" || !(body.type in body)) {
        return graphError(res, 400, 100, "(#100) Invalid parameter");
      }
      const unknownMedia = badMediaId(body);
      if (unknownMedia !== undefined) {
        return graphError(res, 400, 100, `(#100) Param image['id'] is not a valid WhatsApp Business Account media attachment ID: ${unknownMedia}`, 2494102);
      }
      const id = `wamid.FAKE${(++seq).toString().padStart(8, "0")}${randomBytes(6).toString("hex")}`;
      res.writeHead(200, { "content-type": "application/json" }).end(
        JSON.stringify({ messaging_product: "whatsapp", contacts: [{ input: to, wa_id: to }], messages: [{ id }] }),
      );
    })().catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500).end(String(err));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

  const waitFor = (pick: () => FakeWhatsAppCall[], n: number, timeoutMs: number, what: string) =>
    new Promise<FakeWhatsAppCall[]>((resolve, reject) => {
      const check = () => {
        const got = pick();
        if (got.length >= n) {
          clearTimeout(timer);
          waiters.delete(check);
          resolve(got);
        }
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`fake WhatsApp: expected ${n} ${what}, got ${pick().length} within ${timeoutMs} ms`));
      }, timeoutMs);
      waiters.add(check);
      check();
    });

  const fake: FakeWhatsApp = {
    apiBase: `http://127.0.0.1:${port}`,
    token,
    calls,
    messages: () => calls.filter((c) => !isRead(c)),
    readReceipts: () => calls.filter(isRead),
    waitForMessages: (n, timeoutMs = 5_000) => waitFor(fake.messages, n, timeoutMs, "messages"),
    waitForReadReceipts: (n, timeoutMs = 5_000) => waitFor(fake.readReceipts, n, timeoutMs, "read receipts"),
    failNext(n, failure) {
      for (let i = 0; i < n; i++) failures.push(failure);
    },
    setLatency(ms) {
      latency = ms;
    },
    uploads: () => [...uploads],
    failUploads(n, failure) {
      for (let i = 0; i < n; i++) uploadFailures.push(failure);
    },
    expireMedia() {
      for (const id of media) expired.add(id);
    },
    reset() {
      uploads = [];
      media = new Set();
      expired = new Set();
      uploadFailures.length = 0;
      calls.length = 0;
      failures.length = 0;
      latency = 0;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
  return fake;
}

// ---- webhook helpers ---------------------------------------------------------

/** Lowercase `\uXXXX` per UTF-16 unit for non-ASCII: the form Meta signs (W3). Independent of the adapter's copy on purpose. */
function escapeNonAscii(s: string): string {
  return s.replace(/[^\0-~]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/**
 * The X-Hub-Signature-256 header value for a webhook body: HMAC-SHA256 with the app
 * secret over the raw bytes, or (escaped: true) over the escaped-unicode form as Meta does.
 */
export function signWhatsApp(body: string, secret: string, opts: { escaped?: boolean } = {}): string {
  const data = opts.escaped ? escapeNonAscii(body) : body;
  return `sha256=${createHmac("sha256", secret).update(data, "utf8").digest("hex")}`;
}

export type WaObject = Record<string, unknown>;

let waSeq = 0;
/** a fresh, unique wamid */
export function wamid(): string {
  return `wamid.TEST${Date.now().toString(36)}${(++waSeq).toString(36)}${randomBytes(4).toString("hex")}`;
}

function ts(at?: number): string {
  return String(Math.floor((at ?? Date.now()) / 1000));
}

interface MsgOpts {
  id?: string;
  /** epoch ms */
  at?: number;
  /** profile name for value.contacts */
  name?: string;
  referral?: WaObject;
}

function base(from: string, type: string, o: MsgOpts): WaObject {
  const m: WaObject = { from, id: o.id ?? wamid(), timestamp: ts(o.at), type };
  if (o.name) m._profileName = o.name;
  if (o.referral) m.referral = o.referral;
  return m;
}

/** A customer's text message. */
export function waText(from: string, body: string, o: MsgOpts = {}): WaObject {
  return { ...base(from, "text", o), text: { body } };
}

/** A tap on one of our reply buttons. */
export function waButtonReply(from: string, id: string, title: string, o: MsgOpts = {}): WaObject {
  return { ...base(from, "interactive", o), interactive: { type: "button_reply", button_reply: { id, title } } };
}

/** A pick from one of our list messages. */
export function waListReply(from: string, id: string, title: string, o: MsgOpts = {}): WaObject {
  return { ...base(from, "interactive", o), interactive: { type: "list_reply", list_reply: { id, title } } };
}

/** A delivery status of a message we sent. */
export function waStatus(
  id: string,
  status: "sent" | "delivered" | "read" | "failed" | "played",
  recipient: string,
  o: { at?: number; error?: { code: number; title: string } } = {},
): WaObject {
  const s: WaObject = { id, status, timestamp: ts(o.at), recipient_id: recipient };
  if (o.error) s.errors = [{ ...o.error, message: o.error.title }];
  return s;
}

export interface BatchOptions {
  phoneNumberId?: string;
  displayPhoneNumber?: string;
  /** spread the updates round-robin over this many entries (default 1) */
  entries?: number;
  /** and this many changes per entry (default 1) */
  changesPerEntry?: number;
}

/**
 * A webhook POST body carrying these messages and statuses, as Meta batches them (W6).
 * A message may carry `_profileName` (waText's `name`): it becomes value.contacts and is removed.
 */
export function whatsappBatch(messages: WaObject[], statuses: WaObject[] = [], opts: BatchOptions = {}): WaObject {
  const entries = Math.max(1, opts.entries ?? 1);
  const perEntry = Math.max(1, opts.changesPerEntry ?? 1);
  const slots = entries * perEntry;
  const buckets = Array.from({ length: slots }, () => ({ messages: [] as WaObject[], statuses: [] as WaObject[] }));
  messages.forEach((m, i) => buckets[i % slots]!.messages.push(m));
  statuses.forEach((s, i) => buckets[i % slots]!.statuses.push(s));
  const metadata = {
    display_phone_number: opts.displayPhoneNumber ?? "74951234567",
    phone_number_id: opts.phoneNumberId ?? "109876543210987",
  };
  const change = (b: (typeof buckets)[number]) => {
    const contacts = new Map<string, WaObject>();
    const msgs = b.messages.map((m) => {
      const { _profileName, ...rest } = m;
      const from = String(rest.from);
      if (!contacts.has(from)) {
        contacts.set(from, { profile: { name: typeof _profileName === "string" ? _profileName : `Customer ${from}` }, wa_id: from });
      }
      return rest;
    });
    const value: WaObject = { messaging_product: "whatsapp", metadata };
    if (msgs.length > 0) {
      value.contacts = [...contacts.values()];
      value.messages = msgs;
    }
    if (b.statuses.length > 0) value.statuses = b.statuses;
    return { value, field: "messages" };
  };
  return {
    object: "whatsapp_business_account",
    entry: Array.from({ length: entries }, (_, e) => ({
      id: "104930215874263",
      changes: buckets.slice(e * perEntry, (e + 1) * perEntry).filter((b) => b.messages.length + b.statuses.length > 0).map(change),
    })).filter((e) => e.changes.length > 0),
  };
}
