import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { readForm } from "./multipart.ts";

/**
 * A fake MAX Bot API (platform-api2.max.ru) for tests: the token in the
 * `Authorization` header (no "Bearer", M1), JSON bodies, errors as {code, message}
 * with the HTTP status (M16). It keeps what the bot sent per chat, answers
 * GET /updates long polls from a queue with a marker (M7), and keeps subscriptions
 * (M2). Point the SDK at it with MAX_API_BASE=fake.apiBase.
 *
 * Builders below make updates in MAX's webhook shape (message_created,
 * message_callback, bot_started with a start payload, a shared contact).
 */

export const FAKE_MAX_TOKEN = "max-test-token";
export const FAKE_MAX_BOT = { user_id: 900100, first_name: "Спортпит Магазин", name: "Спортпит Магазин", username: "sportpit_shop_bot", is_bot: true, last_activity_time: 0 };

export interface FakeMaxCall {
  method: string;
  path: string;
  query: Record<string, string>;
  body: Record<string, any>;
  status: number;
  at: number;
}

export interface FakeMaxFailure {
  status: number;
  code?: string;
  message?: string;
  /** only calls to this path consume the failure ("/messages"; default any) */
  path?: string;
  /** answer this non-JSON body instead (a proxy's error page) */
  rawBody?: string;
}

/** one message the bot sent, as the customer's app shows it */
export interface FakeMaxSent {
  chatId: string;
  mid: string;
  text: string;
  attachments: Record<string, any>[];
  at: number;
}

/** a file sent to an upload url (POST /uploads?type=image, then multipart `data` to that url) */
export interface FakeMaxUpload {
  token: string;
  photoId: string;
  filename: string;
  size: number;
}

export interface FakeMax {
  apiBase: string;
  readonly calls: FakeMaxCall[];
  callsTo(method: string, path: string): FakeMaxCall[];
  /** messages the API accepted (200), in order */
  sent(): FakeMaxSent[];
  /** callback ids answered via POST /answers */
  answered(): string[];
  failNext(n: number, failure: FakeMaxFailure): void;
  /** images uploaded, in order */
  uploads(): FakeMaxUpload[];
  /** the upload tokens given so far stop working: a message attaching one answers 400 */
  revokeUploads(): void;
  /** queue updates for GET /updates */
  pushUpdate(...updates: Record<string, unknown>[]): void;
  /** POST /subscriptions so far (with the secret, which GET /subscriptions does not show) */
  readonly subscriptions: { url: string; time: number; update_types: string[]; secret?: string }[];
  close(): Promise<void>;
}

const DEFAULT_CODES: Record<number, string> = {
  400: "proto.payload",
  401: "verify.token",
  403: "chat.denied",
  404: "chat.not.found",
  429: "too.many.requests",
  500: "internal",
  503: "service.unavailable",
};

export async function startFakeMax(opts: { token?: string; maxLongPollMs?: number } = {}): Promise<FakeMax> {
  const token = opts.token ?? FAKE_MAX_TOKEN;
  const maxLongPollMs = opts.maxLongPollMs ?? 3_000;
  const calls: FakeMaxCall[] = [];
  const sent: FakeMaxSent[] = [];
  const answered: string[] = [];
  const subscriptions: FakeMax["subscriptions"] = [];
  let failures: { left: number; failure: FakeMaxFailure }[] = [];
  /** updates by marker: the n-th pushed update has marker n + 1 */
  const queue: Record<string, unknown>[] = [];
  let pollWaiters: (() => void)[] = [];
  let nextMid = 1;
  const uploads: FakeMaxUpload[] = [];
  const revoked = new Set<string>();
  let nextPhoto = 1;
  let base = "";
  /** image tokens an attachment names: {token} or {photos: {<id>: {token}}} */
  const tokensOf = (attachments: Record<string, any>[]): string[] =>
    attachments
      .filter((a) => a.type === "image" && a.payload && !a.payload.url)
      .flatMap((a) => (typeof a.payload.token === "string" ? [a.payload.token] : Object.values(a.payload.photos ?? {}).map((p: any) => String(p?.token))));
  const badToken = (attachments: Record<string, any>[]): string | undefined =>
    tokensOf(attachments).find((t) => revoked.has(t) || !uploads.some((u) => u.token === t));

  /** the upload url: a multipart body with the file in `data`; answers {photos: {<id>: {token}}} as MAX does for images */
  const upload = async (req: IncomingMessage, raw: Buffer, res: ServerResponse) => {
    const type = String(req.headers["content-type"] ?? "");
    if (!type.toLowerCase().startsWith("multipart/form-data")) return send(res, 400, { code: "upload.error", message: "multipart/form-data expected" });
    const file = readForm(raw, type).files.get("data");
    if (!file || file.data.length === 0) return send(res, 400, { code: "upload.error", message: "no file in field data" });
    const photoId = String(nextPhoto++);
    const token = `img.fake.${photoId}.${Math.random().toString(36).slice(2, 10)}`;
    uploads.push({ token, photoId, filename: file.filename ?? "", size: file.data.length });
    return send(res, 200, { photos: { [photoId]: { token } } });
  };

  const takeFailure = (path: string): FakeMaxFailure | undefined => {
    const slot = failures.find((f) => f.left > 0 && (f.failure.path === undefined || f.failure.path === path));
    if (!slot) return undefined;
    slot.left--;
    failures = failures.filter((f) => f.left > 0);
    return slot.failure;
  };

  const getUpdates = async (query: Record<string, string>, res: ServerResponse) => {
    const marker = query.marker ? Number(query.marker) : 0;
    const limit = Math.min(1000, Number(query.limit ?? 100) || 100);
    const timeoutMs = Math.min(maxLongPollMs, Number(query.timeout ?? 30) * 1000);
    if (queue.length <= marker && timeoutMs > 0) {
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          res.off("close", done);
          resolve();
        };
        const timer = setTimeout(done, timeoutMs);
        pollWaiters.push(done);
        res.once("close", done);
      });
    }
    const types = query.types ? query.types.split(",") : [];
    const batch = queue.slice(marker, marker + limit);
    return { updates: batch.filter((u) => types.length === 0 || types.includes(String(u.update_type))), marker: marker + batch.length };
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? "/", "http://fake");
    const bytes = await readBody(req);
    // the upload url carries its own signature, no Authorization (MAX "Uploading files")
    if (req.method === "POST" && url.pathname === "/upload/image") return upload(req, bytes, res);
    const raw = bytes.toString("utf8");
    let body: Record<string, any> = {};
    if (raw) {
      try {
        body = JSON.parse(raw) as Record<string, any>;
      } catch {
        return send(res, 400, { code: "proto.payload", message: "body is not JSON" });
      }
    }
    const method = req.method ?? "GET";
    const path = url.pathname;
    const query = Object.fromEntries(url.searchParams);
    const call: FakeMaxCall = { method, path, query, body, status: 200, at: Date.now() };
    calls.push(call);
    if (req.headers.authorization !== token) {
      call.status = 401;
      return send(res, 401, { code: "verify.token", message: "Invalid access_token" });
    }
    const failure = takeFailure(path);
    if (failure) {
      call.status = failure.status;
      if (failure.rawBody !== undefined) {
        res.writeHead(failure.status, { "content-type": "text/html" });
        return res.end(failure.rawBody);
      }
      return send(res, failure.status, { code: failure.code ?? DEFAULT_CODES[failure.status] ?? "error", message: failure.message ?? `fake failure ${failure.status}` });
    }
    const route = `${method} ${path}`;
    switch (route) {
      case "GET /me":
        return send(res, 200, FAKE_MAX_BOT);
      case "POST /messages": {
        const chatId = query.chat_id ?? query.user_id;
        const text = typeof body.text === "string" ? body.text : "";
        const attachments = Array.isArray(body.attachments) ? (body.attachments as Record<string, any>[]) : [];
        const token = badToken(attachments);
        const problem = !chatId ? "chat_id or user_id is required" : text.length > 4000 ? "text: at most 4000 characters" : text === "" && attachments.length === 0 ? "text or attachments required" : token ? `attachment: no uploaded file with token ${token}` : keyboardProblem(attachments);
        if (problem) {
          call.status = 400;
          return send(res, 400, { code: "proto.payload", message: problem });
        }
        const mid = `mid.fake${String(nextMid++).padStart(12, "0")}`;
        sent.push({ chatId: String(chatId), mid, text, attachments, at: Date.now() });
        return send(res, 200, {
          message: {
            sender: FAKE_MAX_BOT,
            recipient: { chat_id: Number(chatId), chat_type: "dialog", user_id: null },
            timestamp: Date.now(),
            body: { mid, seq: nextMid, text, attachments },
          },
        });
      }
      case "POST /uploads":
        if (!["image", "video", "audio", "file"].includes(query.type ?? "")) {
          call.status = 400;
          return send(res, 400, { code: "proto.payload", message: "type: image, video, audio or file" });
        }
        return send(res, 200, { url: `${base}/upload/${query.type}?sig=${Math.random().toString(36).slice(2, 10)}` });
      case "POST /answers":
        if (!query.callback_id || (body.message == null && typeof body.notification !== "string")) {
          call.status = 400;
          return send(res, 400, { code: "proto.payload", message: "callback_id and message or notification are required" });
        }
        answered.push(query.callback_id);
        return send(res, 200, { success: true });
      case "GET /updates": {
        const result = await getUpdates(query, res);
        if (res.destroyed) return;
        return send(res, 200, result);
      }
      case "GET /subscriptions":
        return send(res, 200, { subscriptions: subscriptions.map(({ secret: _s, ...s }) => s) });
      case "POST /subscriptions": {
        if (typeof body.url !== "string" || !/^https:\/\//.test(body.url)) {
          call.status = 400;
          return send(res, 400, { code: "proto.payload", message: "url must be https" });
        }
        if (body.secret !== undefined && !/^[A-Za-z0-9_-]{5,256}$/.test(String(body.secret))) {
          call.status = 400;
          return send(res, 400, { code: "proto.payload", message: "secret: 5-256 of A-Z a-z 0-9 _ -" });
        }
        const existing = subscriptions.findIndex((s) => s.url === body.url);
        const sub = { url: body.url, time: Date.now(), update_types: (body.update_types as string[] | undefined) ?? [], ...(body.secret ? { secret: String(body.secret) } : {}) };
        if (existing >= 0) subscriptions[existing] = sub;
        else subscriptions.push(sub);
        return send(res, 200, { success: true });
      }
      case "DELETE /subscriptions": {
        const i = subscriptions.findIndex((s) => s.url === query.url);
        if (i >= 0) subscriptions.splice(i, 1);
        return send(res, 200, { success: true });
      }
      default:
        call.status = 404;
        return send(res, 404, { code: "not.found", message: `${route} is not a method` });
    }
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) send(res, 500, { code: "internal", message: String(err) });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  base = `http://127.0.0.1:${port}`;

  return {
    apiBase: `http://127.0.0.1:${port}`,
    calls,
    callsTo: (method, path) => calls.filter((c) => c.method === method && c.path === path),
    sent: () => [...sent],
    answered: () => [...answered],
    failNext(n, failure) {
      failures.push({ left: n, failure });
    },
    uploads: () => [...uploads],
    revokeUploads() {
      for (const u of uploads) revoked.add(u.token);
    },
    pushUpdate(...updates) {
      queue.push(...updates);
      const w = pollWaiters;
      pollWaiters = [];
      for (const f of w) f();
    },
    subscriptions,
    async close() {
      for (const f of pollWaiters) f();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** M11: 30 rows, 7 a row (3 with a request_contact / link button), 210 in all; M13 payloads ≤ 1024 */
function keyboardProblem(attachments: Record<string, any>[]): string | undefined {
  for (const a of attachments) {
    if (a.type !== "inline_keyboard") continue;
    const rows = a.payload?.buttons as Record<string, any>[][] | undefined;
    if (!Array.isArray(rows) || rows.length === 0) return "inline_keyboard: buttons required";
    if (rows.length > 30) return "inline_keyboard: at most 30 rows";
    if (rows.flat().length > 210) return "inline_keyboard: at most 210 buttons";
    for (const row of rows) {
      const wide = row.some((b) => ["link", "open_app", "request_geo_location", "request_contact"].includes(b.type));
      if (row.length > (wide ? 3 : 7)) return `inline_keyboard: at most ${wide ? 3 : 7} buttons in a row`;
      for (const b of row) {
        if (typeof b.text !== "string" || b.text === "") return "button text required";
        if (b.type === "callback" && (typeof b.payload !== "string" || b.payload.length > 1024)) return "callback payload: 1-1024 characters";
      }
    }
  }
  return undefined;
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

// --- updates in MAX's webhook shape -------------------------------------------------

export interface MaxUserOpts {
  /** the customer's MAX user id */
  userId: number;
  /** the dialog's chat id (MAX: its own id, not the user's) */
  chatId?: number;
  at?: number;
  name?: string;
}

/** dialog chat ids are negative in MAX and differ from user ids; keep them apart in tests */
export const dialogOf = (userId: number): number => -(userId + 70_000_000);

const user = (o: MaxUserOpts) => ({ user_id: o.userId, first_name: o.name ?? "Аристарх", last_name: "", name: o.name ?? "Аристарх", is_bot: false, last_activity_time: o.at ?? Date.now() });

function messageOf(o: MaxUserOpts, mid: string, text: string | null, attachments?: unknown[]) {
  return {
    sender: user(o),
    recipient: { chat_id: o.chatId ?? dialogOf(o.userId), chat_type: "dialog", user_id: FAKE_MAX_BOT.user_id },
    timestamp: o.at ?? Date.now(),
    body: { mid, seq: 1, text, ...(attachments ? { attachments } : {}) },
  };
}

let nextId = 5_000_000;

export function maxText(o: MaxUserOpts & { text: string; mid?: string }): Record<string, unknown> {
  const at = o.at ?? Date.now();
  return { update_type: "message_created", timestamp: at, message: messageOf({ ...o, at }, o.mid ?? `mid.in${++nextId}`, o.text), user_locale: "ru" };
}

/** the request_contact button's answer: the customer's own card with the number in vCard form (M9) */
export function maxContact(o: MaxUserOpts & { phone: string; mid?: string; ownerId?: number }): Record<string, unknown> {
  const at = o.at ?? Date.now();
  const vcf = `BEGIN:VCARD\r\nVERSION:3.0\r\nFN:${o.name ?? "Аристарх"}\r\nTEL;TYPE=cell:${o.phone}\r\nEND:VCARD\r\n`;
  const card = { type: "contact", payload: { vcf_info: vcf, max_info: user({ ...o, userId: o.ownerId ?? o.userId }), hash: "h" } };
  return { update_type: "message_created", timestamp: at, message: messageOf({ ...o, at }, o.mid ?? `mid.in${++nextId}`, null, [card]), user_locale: "ru" };
}

export function maxCallback(o: MaxUserOpts & { payload: string; callbackId?: string; messageMid?: string }): Record<string, unknown> {
  const at = o.at ?? Date.now();
  return {
    update_type: "message_callback",
    timestamp: at,
    callback: { timestamp: at, callback_id: o.callbackId ?? `cbid${++nextId}`, payload: o.payload, user: user(o) },
    message: { ...messageOf({ ...o, at }, o.messageMid ?? `mid.out${nextId}`, "…"), sender: FAKE_MAX_BOT },
    user_locale: "ru",
  };
}

/** the customer pressed «Начать» (Start), possibly through max.ru/<bot>?start=<payload> */
export function maxBotStarted(o: MaxUserOpts & { payload?: string }): Record<string, unknown> {
  const at = o.at ?? Date.now();
  return { update_type: "bot_started", timestamp: at, chat_id: o.chatId ?? dialogOf(o.userId), user: user(o), ...(o.payload !== undefined ? { payload: o.payload } : {}), user_locale: "ru" };
}
