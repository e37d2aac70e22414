import { randomBytes } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { readForm } from "./multipart.ts";

/**
 * A local VK API speaking the documented protocol (V18): `POST /method/<name>` with a
 * form-urlencoded (or multipart, or query-string) body, answered `{"response": …}` or
 * `{"error": {error_code, error_msg, request_params}}` with HTTP 200. messages.send
 * honours random_id like VK (V9): a repeat for the same peer returns the first
 * message's id and delivers nothing new. Keyboards are checked against V11–V14 (911).
 */
export const FAKE_VK_GROUP_ID = 229000111;
export const FAKE_VK_SECRET = "Kx9_fake_callback_secret";
export const FAKE_VK_CONFIRMATION = "a1b2c3d4";

export interface FakeVkCall {
  method: string;
  /** every parameter as the decoded string VK received */
  params: Record<string, string>;
  at: number;
}

export interface FakeVkDelivered extends FakeVkCall {
  messageId: number;
  peerId: string;
  randomId: string;
  text: string;
  /** the keyboard JSON, parsed */
  keyboard?: unknown;
}

/** a photo uploaded to the messages upload server and saved (photos.saveMessagesPhoto) */
export interface FakeVkUpload {
  /** the attachment string messages.send takes: photo<owner_id>_<id>_<access_key> */
  attachment: string;
  filename: string;
  size: number;
  peerId: string;
  saved: boolean;
}

export type FakeVkFailure =
  | { code: number; msg?: string; method?: string }
  | { status: number; method?: string };

export interface FakeVkOptions {
  /** Callback API servers groups.getCallbackServers lists (default none) */
  callbackServers?: FakeVkCallbackServer[];
  /** when set, access_token must equal it (else error 5) */
  token?: string;
  /** delay every answer (benchmarks) */
  latencyMs?: number;
  /** answer error 6 above this many calls per second (benchmarks) */
  perSecond?: number;
}

export interface FakeVk {
  /** http://127.0.0.1:PORT/method: VkConfig.apiBase */
  apiBase: string;
  calls: FakeVkCall[];
  /** messages.send calls that produced a new message */
  delivered(): FakeVkDelivered[];
  /** the next n matching calls fail: a VK error (HTTP 200) or an HTTP status with a non-JSON body */
  failNext(n: number, failure: FakeVkFailure): void;
  waitForDelivered(n: number, timeoutMs?: number): Promise<FakeVkDelivered[]>;
  /** wait until some call to `method` has been recorded */
  waitForCall(method: string, timeoutMs?: number): Promise<FakeVkCall>;
  /** photos uploaded to the upload server (saved or not), in order */
  uploads(): FakeVkUpload[];
  /** the saved photos are deleted: messages.send with one of them answers error 100 */
  deletePhotos(): void;
  /** what groups.getCallbackServers answers from now on */
  setCallbackServers(servers: FakeVkCallbackServer[]): void;
  reset(): void;
  close(): Promise<void>;
}

export interface FakeVkCallbackServer {
  url: string;
  status: "unconfigured" | "failed" | "wait" | "ok";
  secretKey?: string;
}

class VkError extends Error {
  constructor(
    readonly code: number,
    msg: string,
  ) {
    super(msg);
  }
}

export async function startFakeVk(options: FakeVkOptions = {}): Promise<FakeVk> {
  let calls: FakeVkCall[] = [];
  let delivered: FakeVkDelivered[] = [];
  let failures: { left: number; failure: FakeVkFailure }[] = [];
  /** `${peer}:${random_id}` → message id, like VK's history check */
  let seen = new Map<string, number>();
  let nextMessageId = 1000;
  let window: number[] = [];
  let callbackServers: FakeVkCallbackServer[] = [...(options.callbackServers ?? [])];
  let uploads: (FakeVkUpload & { server: number; hash: string; photoJson: string })[] = [];
  let deleted = new Set<string>();
  let nextPhoto = 457239000;
  let baseUrl = "";

  const takeFailure = (method: string): FakeVkFailure | undefined => {
    const f = failures.find((x) => x.left > 0 && (x.failure.method === undefined || x.failure.method === method));
    if (!f) return undefined;
    f.left -= 1;
    failures = failures.filter((x) => x.left > 0);
    return f.failure;
  };

  const handle = (method: string, params: Record<string, string>): unknown => {
    if (!params.access_token) throw new VkError(5, "User authorization failed: no access_token passed.");
    if (options.token !== undefined && params.access_token !== options.token) {
      throw new VkError(5, "User authorization failed: invalid access_token (4).");
    }
    if (!params.v) throw new VkError(8, "Invalid request: v (version) is required");
    if (options.perSecond !== undefined) {
      const now = Date.now();
      window = window.filter((t) => now - t < 1000);
      if (window.length >= options.perSecond) throw new VkError(6, "Too many requests per second");
      window.push(now);
    }
    switch (method) {
      case "messages.send":
        return send(params);
      case "photos.getMessagesUploadServer":
        // VK: an upload URL for one photo to a dialog of the community
        return { album_id: -64, upload_url: `${baseUrl}/upload/photo?peer=${encodeURIComponent(params.peer_id ?? "0")}&sig=${randomBytes(6).toString("hex")}`, user_id: 0, group_id: FAKE_VK_GROUP_ID };
      case "photos.saveMessagesPhoto": {
        const u = uploads.find((x) => String(x.server) === params.server && x.photoJson === params.photo && x.hash === params.hash);
        if (!u) throw new VkError(1160, "Photo is invalid: server, photo or hash does not match an upload");
        u.saved = true;
        const [, owner, id, key] = /^photo(-?\d+)_(\d+)_(\w+)$/.exec(u.attachment)!;
        return [{ id: Number(id), owner_id: Number(owner), access_key: key, album_id: -64, date: Math.floor(Date.now() / 1000), sizes: [{ type: "x", width: 480, height: 360, url: `${baseUrl}/photo/${id}.png` }] }];
      }
      case "messages.sendMessageEventAnswer":
        if (!params.event_id || !params.user_id || !params.peer_id) {
          throw new VkError(100, "One of the parameters specified was missing or invalid: event_id, user_id, peer_id are required");
        }
        return 1;
      case "groups.getById":
        return {
          groups: [{ id: FAKE_VK_GROUP_ID, name: "Fake shop", screen_name: "fake_shop", type: "group", is_closed: 0 }],
          profiles: [],
        };
      case "groups.getCallbackServers":
        // the community's Callback API servers as the console lists them (status: unconfigured, failed, wait, ok)
        return { count: callbackServers.length, items: callbackServers.map((c, i) => ({ id: i + 1, title: "front desk", creator_id: 1, url: c.url, secret_key: c.secretKey ?? "", status: c.status })) };
      case "groups.getCallbackConfirmationCode":
        return { code: FAKE_VK_CONFIRMATION };
      case "users.get":
        return (params.user_ids ?? "").split(",").filter(Boolean).map((id) => ({ id: Number(id), first_name: "Test", last_name: "User" }));
      case "utils.getServerTime":
        return Math.floor(Date.now() / 1000);
      default:
        throw new VkError(3, "Unknown method passed");
    }
  };

  /**
   * The upload server: multipart with the file in field `photo`; answers {server, photo, hash}
   * (photo "[]" when there was no image in it), the three values photos.saveMessagesPhoto takes.
   */
  const uploadPhoto = async (url: URL, body: Buffer, contentType: string | undefined, res: http.ServerResponse) => {
    const answer = (o: unknown) => res.writeHead(200, { "content-type": "text/html; charset=windows-1251" }).end(JSON.stringify(o));
    if (!(contentType ?? "").toLowerCase().startsWith("multipart/form-data")) return answer({ server: 0, photo: "[]", hash: "" });
    const file = readForm(body, contentType).files.get("photo");
    if (!file || file.data.length === 0 || !/^image\/(png|jpeg)$/.test(file.type ?? "")) return answer({ server: 0, photo: "[]", hash: "" });
    const id = ++nextPhoto;
    const server = 800000 + id;
    const hash = randomBytes(8).toString("hex");
    const photoJson = JSON.stringify([{ photo: randomBytes(5).toString("hex"), sizes: [["x", 480, 360]], kid: randomBytes(4).toString("hex") }]);
    uploads.push({ attachment: `photo-${FAKE_VK_GROUP_ID}_${id}_${randomBytes(5).toString("hex")}`, filename: file.filename ?? "", size: file.data.length, peerId: url.searchParams.get("peer") ?? "", saved: false, server, hash, photoJson });
    answer({ server, photo: photoJson, hash });
  };

  const send = (params: Record<string, string>): number => {
    const peer = params.peer_id ?? params.user_id;
    if (!peer || !/^-?\d+$/.test(peer)) throw new VkError(100, "One of the parameters specified was missing or invalid: peer_id");
    const randomId = params.random_id;
    if (randomId === undefined || !/^-?\d+$/.test(randomId)) {
      throw new VkError(100, "One of the parameters specified was missing or invalid: random_id is a required parameter");
    }
    const text = params.message ?? "";
    if (text === "" && !params.attachment) throw new VkError(100, "One of the parameters specified was missing or invalid: message is empty or invalid");
    if (text.length > 9000) throw new VkError(914, "Message is too long");
    for (const a of (params.attachment ?? "").split(",").filter(Boolean)) {
      const photo = /^photo(-?\d+_\d+)(_\w+)?$/.test(a);
      const known = uploads.some((u) => u.saved && u.attachment === a) && !deleted.has(a);
      // a photo attachment must be one VK has (saved, not deleted); others (docs, walls) are not checked here
      if (photo && !known) throw new VkError(100, `One of the parameters specified was missing or invalid: attachment ${a} not found`);
    }
    const keyboard = params.keyboard === undefined ? undefined : checkKeyboard(params.keyboard);
    const key = `${peer}:${randomId}`;
    const earlier = seen.get(key);
    if (earlier !== undefined && randomId !== "0") return earlier;
    const messageId = ++nextMessageId;
    seen.set(key, messageId);
    delivered.push({ method: "messages.send", params, at: Date.now(), messageId, peerId: peer, randomId, text, keyboard });
    return messageId;
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      void (async () => {
        const url = new URL(req.url ?? "/", "http://fake");
        if (url.pathname === "/upload/photo" && req.method === "POST") return uploadPhoto(url, Buffer.concat(chunks), req.headers["content-type"], res);
        const match = /^\/method\/([A-Za-z0-9_.]+)$/.exec(url.pathname);
        if (!match || (req.method !== "POST" && req.method !== "GET")) {
          res.writeHead(404, { "content-type": "text/plain" }).end("not found");
          return;
        }
        const method = match[1] ?? "";
        const params: Record<string, string> = Object.fromEntries(url.searchParams);
        try {
          Object.assign(params, await decodeBody(Buffer.concat(chunks), req.headers["content-type"]));
        } catch {
          res.writeHead(400, { "content-type": "text/plain" }).end("bad body");
          return;
        }
        calls.push({ method, params, at: Date.now() });
        if (options.latencyMs) await new Promise((r) => setTimeout(r, options.latencyMs));

        const failure = takeFailure(method);
        if (failure && "status" in failure) {
          res.writeHead(failure.status, { "content-type": "text/html" }).end(`<html><body>${failure.status}</body></html>`);
          return;
        }
        let body: unknown;
        try {
          if (failure) throw new VkError(failure.code, failure.msg ?? `Fake error ${failure.code}`);
          body = { response: handle(method, params) };
        } catch (err) {
          if (!(err instanceof VkError)) throw err;
          const request_params = [
            { key: "method", value: method },
            { key: "v", value: params.v ?? "" },
          ];
          body = { error: { error_code: err.code, error_msg: err.message, request_params } };
        }
        res.writeHead(200, { "content-type": "application/json; charset=utf-8" }).end(JSON.stringify(body));
      })().catch(() => {
        if (!res.headersSent) res.writeHead(500).end();
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  baseUrl = `http://127.0.0.1:${port}`;

  const waitFor = async <T>(probe: () => T | undefined, timeoutMs: number, what: string): Promise<T> => {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const value = probe();
      if (value !== undefined) return value;
      if (Date.now() > until) throw new Error(`fake VK: timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 5));
    }
  };

  return {
    apiBase: `http://127.0.0.1:${port}/method`,
    get calls() {
      return calls;
    },
    delivered: () => [...delivered],
    failNext(n, failure) {
      failures.push({ left: n, failure });
    },
    waitForDelivered: (n, timeoutMs = 5000) =>
      waitFor(() => (delivered.length >= n ? [...delivered] : undefined), timeoutMs, `${n} delivered messages (have ${delivered.length})`),
    waitForCall: (method, timeoutMs = 5000) => waitFor(() => calls.find((c) => c.method === method), timeoutMs, `a ${method} call`),
    uploads: () => uploads.map(({ server: _s, hash: _h, photoJson: _p, ...u }) => u),
    deletePhotos() {
      for (const u of uploads) if (u.saved) deleted.add(u.attachment);
    },
    setCallbackServers(servers) {
      callbackServers = [...servers];
    },
    reset() {
      uploads = [];
      deleted = new Set();
      calls = [];
      delivered = [];
      failures = [];
      seen = new Map();
      window = [];
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}

async function decodeBody(body: Buffer, contentType: string | undefined): Promise<Record<string, string>> {
  if (body.length === 0) return {};
  const type = (contentType ?? "").toLowerCase();
  if (type.startsWith("multipart/form-data")) {
    const form = await new Response(new Uint8Array(body), { headers: { "content-type": contentType ?? "" } }).formData();
    const out: Record<string, string> = {};
    for (const [k, v] of form.entries()) out[k] = typeof v === "string" ? v : v.name;
    return out;
  }
  if (type.startsWith("application/json")) throw new Error("VK does not take JSON (V18)");
  return Object.fromEntries(new URLSearchParams(body.toString("utf8")));
}

/** V11–V14 as VK enforces them: anything else is error 911. */
function checkKeyboard(raw: string): unknown {
  const invalid = (why: string) => new VkError(911, `Keyboard format is invalid: ${why}`);
  let kb: unknown;
  try {
    kb = JSON.parse(raw);
  } catch {
    throw invalid("not JSON");
  }
  if (typeof kb !== "object" || kb === null || !Array.isArray((kb as { buttons?: unknown }).buttons)) throw invalid("buttons missing");
  const { buttons, inline } = kb as { buttons: unknown[]; inline?: unknown; one_time?: unknown };
  const isInline = inline === true;
  const max = isInline ? { rows: 6, perRow: 5, total: 10 } : { rows: 10, perRow: 5, total: 40 };
  if (buttons.length > max.rows) throw invalid("too many rows");
  let total = 0;
  for (const row of buttons) {
    if (!Array.isArray(row) || row.length === 0 || row.length > max.perRow) throw invalid("bad row");
    for (const b of row) {
      total += 1;
      const action = (b as { action?: { type?: unknown; label?: unknown; payload?: unknown } } | null)?.action;
      if (!action || typeof action.type !== "string") throw invalid("button without action");
      if (action.type === "text" || action.type === "callback") {
        if (typeof action.label !== "string" || action.label.length === 0 || action.label.length > 40) throw invalid("label");
      }
      if (action.payload !== undefined) {
        if (typeof action.payload !== "string" || action.payload.length > 255) throw invalid("payload");
        try {
          JSON.parse(action.payload);
        } catch {
          throw invalid("payload is not JSON");
        }
      }
    }
  }
  if (total > max.total) throw invalid("too many buttons");
  return kb;
}

/** A Callback API envelope (V4). `secret: null` leaves the secret out. */
export function vkEvent(
  type: string,
  object: unknown,
  opts: { secret?: string | null; groupId?: number; eventId?: string } = {},
): Record<string, unknown> {
  const envelope: Record<string, unknown> = {
    group_id: opts.groupId ?? FAKE_VK_GROUP_ID,
    type,
    event_id: opts.eventId ?? randomBytes(20).toString("hex"),
    v: "5.199",
    object,
  };
  const secret = opts.secret === undefined ? FAKE_VK_SECRET : opts.secret;
  if (secret !== null) envelope.secret = secret;
  return envelope;
}

/** message_new object (API ≥ 5.103) for a private dialog. */
export function vkMessageNew(opts: {
  peerId: number;
  text?: string;
  payload?: unknown;
  ref?: string;
  refSource?: string;
  id?: number;
  date?: number;
  attachments?: unknown[];
  clientInfo?: Partial<{ keyboard: boolean; inline_keyboard: boolean; button_actions: string[]; lang_id: number }>;
}): Record<string, unknown> {
  const message: Record<string, unknown> = {
    date: opts.date ?? Math.floor(Date.now() / 1000),
    from_id: opts.peerId,
    id: opts.id ?? Math.floor(Math.random() * 1e9),
    out: 0,
    attachments: opts.attachments ?? [],
    conversation_message_id: 1,
    fwd_messages: [],
    important: false,
    is_hidden: false,
    peer_id: opts.peerId,
    random_id: 0,
    text: opts.text ?? "",
  };
  if (opts.payload !== undefined) message.payload = typeof opts.payload === "string" ? opts.payload : JSON.stringify(opts.payload);
  if (opts.ref !== undefined) message.ref = opts.ref;
  if (opts.refSource !== undefined) message.ref_source = opts.refSource;
  return {
    message,
    client_info: {
      button_actions: ["text", "vkpay", "open_app", "location", "open_link", "callback", "intent_subscribe", "intent_unsubscribe"],
      keyboard: true,
      inline_keyboard: true,
      carousel: true,
      lang_id: 0,
      ...opts.clientInfo,
    },
  };
}
