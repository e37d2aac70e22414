import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { UserFromGetMe } from "grammy/types";
import { parseMultipart } from "./multipart.ts";

/**
 * A fake Telegram Bot API server for tests and benchmarks: `POST /bot<token>/<method>`
 * answered in the Bot API envelope ({ok:true,result} / {ok:false,error_code,description,
 * parameters}). Every call is recorded with the JSON body the client sent. Point grammY
 * at it with `client: { apiRoot: fake.apiRoot }`.
 */

export interface FakeTelegramCall {
  method: string;
  token: string;
  params: Record<string, unknown>;
  /** HTTP status the fake answered with */
  status: number;
  at: number;
  /** files sent as multipart parts (sendPhoto with an InputFile): the field they were attached to */
  files?: FakeTelegramFile[];
}

/** a file a multipart request carried (Bot API "Sending files": a part referenced as attach://<name>) */
export interface FakeTelegramFile {
  /** the parameter that referenced it (photo) */
  field: string;
  filename: string;
  type: string;
  size: number;
  bytes: Buffer;
}

/** a photo the fake stored from an upload, with the file_id it answered */
export interface FakeTelegramUpload {
  fileId: string;
  filename: string;
  size: number;
  chatId: string;
}

export interface FakeFailure {
  /** HTTP status and Bot API error_code */
  status: number;
  /** seconds, sent as parameters.retry_after */
  retryAfter?: number;
  description?: string;
  /** only calls of this method consume the failure (default: any method) */
  method?: string;
  /** answer with this non-JSON body instead (e.g. a proxy's HTML error page) */
  rawBody?: string;
  /** wait this long before answering (client timeouts) */
  delayMs?: number;
}

export interface FakeTelegramOptions {
  /** answer 401 for any other token; default: accept every token */
  token?: string;
  botInfo?: FakeBotInfo;
  /** added to every answer, to make a benchmark more realistic */
  latencyMs?: number;
  /** cap on getUpdates long-poll waits, so tests never hang on a long timeout */
  maxLongPollMs?: number;
  /** keep call records (default true; a long benchmark may turn it off: then calls/waitForCalls see nothing) */
  record?: boolean;
}

/** what getMe answers; grammY's own type, so it can be passed as `botInfo` */
export type FakeBotInfo = UserFromGetMe;

/** a forum topic as the fake keeps it (createForumTopic … deleteForumTopic) */
export interface FakeTopic {
  chatId: string;
  threadId: number;
  name: string;
  closed: boolean;
  deleted: boolean;
}

export type FakeHandler = (params: Record<string, unknown>, call: FakeTelegramCall) => unknown;

export interface FakeTelegram {
  /** no trailing slash */
  apiRoot: string;
  readonly botInfo: FakeBotInfo;
  readonly calls: FakeTelegramCall[];
  callsOf(method: string): FakeTelegramCall[];
  /** resolves once at least n calls of `method` were recorded */
  waitForCalls(method: string, n: number, timeoutMs?: number): Promise<FakeTelegramCall[]>;
  failNext(n: number, failure: FakeFailure): void;
  /** queue updates for getUpdates; update_id is assigned when missing */
  pushUpdate(...updates: Record<string, unknown>[]): void;
  /** replace the answer of one method (result part only) */
  on(method: string, handler: FakeHandler): void;
  /**
   * What Telegram does with the body a webhook answered: a JSON object with a `method`
   * is run as that Bot API call (recorded like any other; its result goes nowhere).
   * An empty body does nothing.
   */
  webhookReply(body: string, token?: string): Promise<void>;
  /** forum topics created so far (deleted ones too, marked) */
  topics(chatId?: string): FakeTopic[];
  /** an admin deletes a topic in the client: later sends into it fail as Telegram's do */
  deleteTopic(chatId: string, threadId: number): void;
  /** photos uploaded by multipart sendPhoto (each got a new file_id) */
  uploads(): FakeTelegramUpload[];
  /** the file_ids given so far stop working: sendPhoto with one answers "wrong file identifier" */
  revokeFiles(): void;
  /** forget calls, failures, queued updates, handlers and the webhook set */
  reset(): void;
  close(): Promise<void>;
}

export const FAKE_BOT_INFO: FakeBotInfo = {
  id: 7012345678,
  is_bot: true,
  first_name: "Спортпит Магазин",
  username: "sportpit_shop_bot",
  can_join_groups: true,
  can_read_all_group_messages: false,
  supports_inline_queries: false,
  can_connect_to_business: false,
  has_main_web_app: false,
  has_topics_enabled: false,
  allows_users_to_create_topics: false,
  can_manage_bots: false,
  supports_join_request_queries: false,
};

const URL_RE = /^\/bot([^/]+)\/(?:test\/)?([A-Za-z]+)$/;
const DEFAULT_DESCRIPTIONS: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden: bot was blocked by the user",
  404: "Not Found",
  409: "Conflict: terminated by other getUpdates request",
  429: "Too Many Requests: retry after",
  500: "Internal Server Error",
  502: "Bad Gateway",
};

export async function startFakeTelegram(opts: FakeTelegramOptions = {}): Promise<FakeTelegram> {
  const botInfo = opts.botInfo ?? FAKE_BOT_INFO;
  const record = opts.record ?? true;
  const maxLongPollMs = opts.maxLongPollMs ?? 5_000;
  const calls: FakeTelegramCall[] = [];
  let failures: { left: number; failure: FakeFailure }[] = [];
  let handlers = new Map<string, FakeHandler>();
  let updates: Record<string, unknown>[] = [];
  let nextUpdateId = 1;
  let nextMessageId = 1;
  let nextTopicId = 1000;
  let uploads: FakeTelegramUpload[] = [];
  /** file ids handed out for uploads; revoked ones are refused like an expired id */
  let fileIds = new Set<string>();
  let revoked = new Set<string>();
  let nextFile = 1;
  /** what setWebhook registered, as getWebhookInfo reports it */
  let webhook: { url: string; secret?: string } = { url: "" };
  const botUser = () => ({ id: botInfo.id, is_bot: true, first_name: botInfo.first_name, username: botInfo.username });
  let callWaiters: (() => void)[] = [];
  let topics: FakeTopic[] = [];
  const topicOf = (params: Record<string, unknown>) =>
    topics.find((t) => t.chatId === String(params.chat_id) && t.threadId === Number(params.message_thread_id));
  /** Bot API answers for topic misuse (documented error texts) */
  const topicError = (method: string, params: Record<string, unknown>): string | undefined => {
    const forum = /^(createForumTopic|editForumTopic|closeForumTopic|reopenForumTopic|deleteForumTopic)$/.test(method);
    if (params.message_thread_id === undefined || method === "createForumTopic") return undefined;
    const topic = topicOf(params);
    if (!topic || topic.deleted) return forum ? "Bad Request: TOPIC_ID_INVALID" : "Bad Request: message thread not found";
    if (forum) {
      if (method === "closeForumTopic" && topic.closed) return "Bad Request: TOPIC_NOT_MODIFIED";
      if (method === "reopenForumTopic" && !topic.closed) return "Bad Request: TOPIC_NOT_MODIFIED";
      if (method === "editForumTopic" && params.name === topic.name) return "Bad Request: TOPIC_NOT_MODIFIED";
      return undefined;
    }
    if (topic.closed) return "Bad Request: TOPIC_CLOSED";
    return undefined;
  };
  let pollWaiters: (() => void)[] = [];

  const notifyCalls = () => {
    const w = callWaiters;
    callWaiters = [];
    for (const f of w) f();
  };
  const notifyPolls = () => {
    const w = pollWaiters;
    pollWaiters = [];
    for (const f of w) f();
  };

  const takeFailure = (method: string): FakeFailure | undefined => {
    const slot = failures.find((f) => f.left > 0 && (f.failure.method === undefined || f.failure.method === method));
    if (!slot) return undefined;
    slot.left--;
    failures = failures.filter((f) => f.left > 0);
    return slot.failure;
  };

  const message = (params: Record<string, unknown>, extra: Record<string, unknown>) => {
    const chatId = params.chat_id;
    const chat =
      typeof chatId === "number" || (typeof chatId === "string" && /^-?\d+$/.test(chatId))
        ? { id: Number(chatId), type: Number(chatId) < 0 ? "supergroup" : "private" }
        : { id: -1000000000001, type: "channel", username: String(chatId ?? "").replace(/^@/, "") };
    return {
      message_id: nextMessageId++,
      from: { id: botInfo.id, is_bot: true, first_name: botInfo.first_name, username: botInfo.username },
      chat,
      date: Math.floor(Date.now() / 1000),
      ...(params.message_thread_id !== undefined ? { message_thread_id: params.message_thread_id } : {}),
      ...(params.reply_markup !== undefined && isInline(params.reply_markup) ? { reply_markup: params.reply_markup } : {}),
      ...extra,
    };
  };

  const defaultResult = (method: string, params: Record<string, unknown>, call: FakeTelegramCall): unknown => {
    switch (method) {
      case "getMe":
        return botInfo;
      case "sendMessage":
        return message(params, { text: params.text });
      case "sendPhoto": {
        // Bot API: photo is a file_id, an http URL, or attach://<name> of a multipart part
        const photo = typeof params.photo === "string" ? params.photo : "";
        const attached = /^attach:\/\/(.+)$/.exec(photo);
        let fileId = `photo-${nextMessageId}`;
        if (attached) {
          const file = call.files?.find((f) => f.field === attached[1]);
          if (!file || file.size === 0) throw new BadRequest("Bad Request: there is no photo in the request");
          if (!/^image\/(png|jpeg)$/.test(file.type) && !/\.(png|jpe?g)$/i.test(file.filename)) throw new BadRequest("Bad Request: IMAGE_PROCESS_FAILED");
          fileId = `AgACAgIAAxkDfake${nextFile++}`;
          fileIds.add(fileId);
          fileIds.add(`${fileId}-small`);
          uploads.push({ fileId, filename: file.filename, size: file.size, chatId: String(params.chat_id) });
        } else if (photo === "") {
          throw new BadRequest("Bad Request: there is no photo in the request");
        } else if (revoked.has(photo)) {
          throw new BadRequest("Bad Request: wrong file identifier/HTTP URL specified");
        } else if (fileIds.has(photo)) {
          fileId = photo.replace(/-small$/, "");
        }
        return message(params, {
          photo: [
            { file_id: `${fileId}-small`, file_unique_id: `s${nextMessageId}`, width: 90, height: 68 },
            { file_id: fileId, file_unique_id: `u${nextMessageId}`, width: 800, height: 600 },
          ],
          ...(params.caption !== undefined ? { caption: params.caption } : {}),
        });
      }
      case "sendInvoice": {
        // Bot API sendInvoice: title 1-32, description 1-255, payload 1-128 bytes, a currency, prices
        const prices = Array.isArray(params.prices) ? (params.prices as { label?: unknown; amount?: unknown }[]) : [];
        const total = prices.reduce((sum, p) => sum + (Number.isInteger(p.amount) ? Number(p.amount) : Number.NaN), 0);
        const title = String(params.title ?? "");
        const description = String(params.description ?? "");
        const payload = String(params.payload ?? "");
        if (title.length < 1 || title.length > 32 || description.length < 1 || description.length > 255) throw new BadRequest("Bad Request: invoice title or description length");
        if (Buffer.byteLength(payload) < 1 || Buffer.byteLength(payload) > 128) throw new BadRequest("Bad Request: INVOICE_PAYLOAD_INVALID");
        if (!/^[A-Z]{3}$/.test(String(params.currency ?? "")) || prices.length === 0 || !Number.isFinite(total) || total <= 0) throw new BadRequest("Bad Request: CURRENCY_TOTAL_AMOUNT_INVALID");
        return message(params, { invoice: { title, description, start_parameter: "", currency: params.currency, total_amount: total } });
      }
      case "editMessageText":
        return message(params, { text: params.text, message_id: params.message_id });
      case "setWebhook":
        webhook = { url: String(params.url ?? ""), secret: params.secret_token === undefined ? undefined : String(params.secret_token) };
        return true;
      case "deleteWebhook":
        webhook = { url: "" };
        return true;
      case "createForumTopic": {
        const topic = { chatId: String(params.chat_id), threadId: nextTopicId++, name: String(params.name ?? ""), closed: false, deleted: false };
        topics.push(topic);
        return { message_thread_id: topic.threadId, name: topic.name, icon_color: params.icon_color ?? 7322096 };
      }
      case "editForumTopic":
        if (params.name !== undefined) topicOf(params)!.name = String(params.name);
        return true;
      case "closeForumTopic":
        topicOf(params)!.closed = true;
        return true;
      case "reopenForumTopic":
        topicOf(params)!.closed = false;
        return true;
      case "deleteForumTopic":
        topicOf(params)!.deleted = true;
        return true;
      case "getWebhookInfo":
        // the documented WebhookInfo: the URL set with setWebhook (empty: none) and updates waiting
        return { url: webhook.url, has_custom_certificate: false, pending_update_count: updates.length, ...(webhook.url ? { max_connections: 40, allowed_updates: ["message", "callback_query", "my_chat_member"] } : {}) };
      case "getChat":
        // a staff group: a supergroup with topics (is_forum)
        return { id: Number(params.chat_id), type: "supergroup", title: "Сотрудники", is_forum: true };
      case "getChatMember":
        // the bot itself is an administrator that may manage topics; anyone else a member
        return Number(params.user_id) === botInfo.id
          ? { status: "administrator", user: botUser(), can_be_edited: false, is_anonymous: false, can_manage_chat: true, can_delete_messages: true, can_manage_video_chats: false, can_restrict_members: true, can_promote_members: false, can_change_info: true, can_invite_users: true, can_post_stories: false, can_edit_stories: false, can_delete_stories: false, can_pin_messages: true, can_manage_topics: true }
          : { status: "member", user: { id: Number(params.user_id), is_bot: false, first_name: "Сотрудник" } };
      default:
        // sendDocument, sendLocation, copyMessage…: a message; everything else (answerCallbackQuery,
        // setWebhook, deleteWebhook, setMyCommands…) answers true like the real API
        if (/^(send|copy|forward)[A-Z]/.test(method)) return message(params, {});
        return true;
    }
  };

  /** getUpdates: confirms ids below offset, then waits for an update up to `timeout` seconds */
  const getUpdates = async (params: Record<string, unknown>, res: ServerResponse) => {
    const offset = typeof params.offset === "number" ? params.offset : undefined;
    if (offset !== undefined && offset > 0) updates = updates.filter((u) => Number(u.update_id) >= offset);
    const limit = typeof params.limit === "number" && params.limit > 0 ? Math.min(params.limit, 100) : 100;
    const timeoutMs = Math.min(maxLongPollMs, typeof params.timeout === "number" ? params.timeout * 1000 : 0);
    if (updates.length === 0 && timeoutMs > 0) {
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          res.off("close", done);
          resolve();
        };
        const timer = setTimeout(done, timeoutMs);
        pollWaiters.push(done);
        // the client aborted (stop()): stop waiting
        res.once("close", done);
      });
    }
    return updates.slice(0, limit);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) send(res, 500, { ok: false, error_code: 500, description: String(err) });
    });
  });

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? "/", "http://fake");
    const m = URL_RE.exec(url.pathname);
    const body = await readBody(req);
    if (!m) return send(res, 404, { ok: false, error_code: 404, description: "Not Found" });
    const token = decodeURIComponent(m[1] ?? "");
    const method = m[2] ?? "";
    const parsed = await parseParams(req.headers["content-type"], body);
    const params = { ...Object.fromEntries(url.searchParams), ...parsed.params };
    const call: FakeTelegramCall = { method, token, params, status: 200, at: Date.now(), ...(parsed.files.length > 0 ? { files: parsed.files } : {}) };

    if (opts.latencyMs) await sleep(opts.latencyMs);
    const misuse = topicError(method, params);
    const failure = opts.token !== undefined && token !== opts.token
      ? { status: 401, description: "Unauthorized" }
      : (takeFailure(method) ?? (misuse ? { status: 400, description: misuse } : undefined));
    if (failure) {
      call.status = failure.status;
      remember(call);
      if (failure.delayMs) await sleep(failure.delayMs);
      if (failure.rawBody !== undefined) {
        res.writeHead(failure.status, { "content-type": "text/html" });
        return res.end(failure.rawBody);
      }
      return send(res, failure.status, {
        ok: false,
        error_code: failure.status,
        description: failure.description ?? DEFAULT_DESCRIPTIONS[failure.status] ?? "Error",
        ...(failure.retryAfter !== undefined ? { parameters: { retry_after: failure.retryAfter } } : {}),
      });
    }
    remember(call);
    const handler = handlers.get(method);
    let result: unknown;
    try {
      if (handler) result = await handler(params, call);
      else if (method === "getUpdates") result = await getUpdates(params, res);
      else {
        try {
          result = defaultResult(method, params, call);
        } catch (err) {
          // a documented Bad Request (sendInvoice's limits, sendPhoto's file checks)
          if (err instanceof BadRequest) {
            call.status = 400;
            return send(res, 400, { ok: false, error_code: 400, description: err.message });
          }
          throw err;
        }
      }
    } catch (err) {
      call.status = 500; // answered 500 below: the platform did not do it
      throw err;
    }
    if (res.destroyed) return;
    send(res, 200, { ok: true, result });
  };

  const remember = (call: FakeTelegramCall) => {
    if (record) calls.push(call);
    notifyCalls();
  };

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

  const callsOf = (method: string) => calls.filter((c) => c.method === method);

  return {
    apiRoot: `http://127.0.0.1:${port}`,
    botInfo,
    calls,
    callsOf,
    waitForCalls(method, n, timeoutMs = 3_000) {
      return new Promise((resolve, reject) => {
        const deadline = setTimeout(() => {
          reject(new Error(`waited ${timeoutMs} ms for ${n} ${method} call(s), saw ${callsOf(method).length}`));
        }, timeoutMs);
        const check = () => {
          const found = callsOf(method);
          if (found.length >= n) {
            clearTimeout(deadline);
            resolve(found);
          } else {
            callWaiters.push(check);
          }
        };
        check();
      });
    },
    failNext(n, failure) {
      failures.push({ left: n, failure });
    },
    pushUpdate(...pushed) {
      for (const u of pushed) {
        const id = typeof u.update_id === "number" ? u.update_id : nextUpdateId;
        nextUpdateId = Math.max(nextUpdateId, id + 1);
        updates.push({ ...u, update_id: id });
      }
      notifyPolls();
    },
    on(method, handler) {
      handlers.set(method, handler);
    },
    async webhookReply(body, token = "webhook-reply") {
      if (body.trim() === "") return;
      const parsed = JSON.parse(body) as Record<string, unknown>;
      const { method, ...params } = parsed;
      if (typeof method !== "string") return;
      const call: FakeTelegramCall = { method, token, params, status: 200, at: Date.now() };
      remember(call);
      await handlers.get(method)?.(params, call);
    },
    topics(chatId) {
      return topics.filter((t) => chatId === undefined || t.chatId === chatId).map((t) => ({ ...t }));
    },
    deleteTopic(chatId, threadId) {
      const topic = topics.find((t) => t.chatId === chatId && t.threadId === threadId);
      if (topic) topic.deleted = true;
    },
    uploads: () => [...uploads],
    revokeFiles() {
      for (const id of fileIds) revoked.add(id);
      fileIds = new Set();
    },
    reset() {
      uploads = [];
      fileIds = new Set();
      revoked = new Set();
      topics = [];
      calls.length = 0;
      failures = [];
      handlers = new Map();
      updates = [];
      webhook = { url: "" };
      notifyPolls();
    },
    async close() {
      notifyPolls();
      callWaiters = [];
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

class BadRequest extends Error {}

/**
 * The updates Telegram sends when a customer pays an invoice the bot sent (Bot API
 * "Payments"): first a pre_checkout_query (answer it within 10 s), then, once it was
 * answered ok, a message with successful_payment.
 */
export function preCheckoutUpdate(updateId: number, invoice: FakeTelegramCall, from: { id: number }, change: { totalAmount?: number } = {}): Record<string, unknown> {
  const prices = invoice.params.prices as { amount: number }[];
  return {
    update_id: updateId,
    pre_checkout_query: {
      id: `pcq${updateId}`,
      from: { id: from.id, is_bot: false, first_name: "Аристарх", language_code: "ru" },
      currency: invoice.params.currency,
      total_amount: change.totalAmount ?? prices.reduce((s, p) => s + p.amount, 0),
      invoice_payload: invoice.params.payload,
    },
  };
}

export function successfulPaymentUpdate(updateId: number, invoice: FakeTelegramCall, from: { id: number }, at: number): Record<string, unknown> {
  const prices = invoice.params.prices as { amount: number }[];
  const user = { id: from.id, is_bot: false, first_name: "Аристарх", language_code: "ru" };
  return {
    update_id: updateId,
    message: {
      message_id: updateId,
      date: Math.floor(at / 1000),
      from: user,
      chat: { id: from.id, type: "private", first_name: "Аристарх" },
      successful_payment: {
        currency: invoice.params.currency,
        total_amount: prices.reduce((s, p) => s + p.amount, 0),
        invoice_payload: invoice.params.payload,
        telegram_payment_charge_id: `tg_charge_${updateId}`,
        provider_payment_charge_id: `provider_charge_${updateId}`,
      },
    },
  };
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const json = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(json) });
  res.end(json);
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

/** a value as the Bot API reads it: JSON-looking values decoded (reply_markup, numbers), others kept */
function decodeValue(v: string): unknown {
  try {
    return JSON.parse(v);
  } catch {
    return v;
  }
}

/**
 * JSON (what grammY sends), form-encoded, or multipart/form-data (grammY with an
 * InputFile: the fields, and each file as a part its attach://<name> points at).
 */
async function parseParams(contentType: string | undefined, raw: Buffer): Promise<{ params: Record<string, unknown>; files: FakeTelegramFile[] }> {
  const files: FakeTelegramFile[] = [];
  if (raw.length === 0) return { params: {}, files };
  const type = (contentType ?? "").split(";")[0]?.trim().toLowerCase();
  const body = raw.toString("utf8");
  if (type === "application/json") {
    const parsed: unknown = JSON.parse(body);
    return { params: parsed !== null && typeof parsed === "object" && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {}, files };
  }
  if (type === "application/x-www-form-urlencoded") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of new URLSearchParams(body)) out[k] = decodeValue(v);
    return { params: out, files };
  }
  if (type === "multipart/form-data") {
    const out: Record<string, unknown> = {};
    for (const part of parseMultipart(raw, contentType)) {
      if (part.filename === undefined) {
        const v = part.data.toString("utf8");
        // chat_id stays as sent; a caption of digits is still a caption
        out[part.name] = part.name === "caption" || part.name === "text" ? v : decodeValue(v);
      } else {
        files.push({ field: part.name, filename: part.filename, type: part.type ?? "application/octet-stream", size: part.data.length, bytes: part.data });
      }
    }
    return { params: out, files };
  }
  return { params: { _raw: body.length > 2048 ? `${body.slice(0, 2048)}…` : body }, files };
}

function isInline(markup: unknown): boolean {
  return typeof markup === "object" && markup !== null && "inline_keyboard" in markup;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
