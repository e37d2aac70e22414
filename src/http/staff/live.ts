import type { ServerResponse } from "node:http";
import type { FastifyInstance } from "fastify";
import type { EventBus } from "../../events/bus.ts";
import { markOnline } from "../../staff/presence.ts";
import type { KeyValuePort } from "../../store/kv.ts";
import type { ConversationReads } from "../../store/port.ts";
import { requireRole } from "./auth.ts";
import { attentionOf, frame, LIVE_KINDS } from "./live-frames.ts";

/**
 * GET /staff/events: the inbox and chat pages' one live connection (Server-Sent
 * Events), fed by the event bus. Each event carries its bus cursor as the SSE id, so
 * a reconnecting browser (EventSource sends Last-Event-ID) gets what it missed. A
 * heartbeat keeps proxies from closing it and marks the staff member online. On
 * shutdown every stream is ended, so the server can close.
 */
const HEARTBEAT_MS = 20_000;

export interface LiveDeps {
  events: EventBus;
  kv: KeyValuePort;
  store: ConversationReads;
}

export interface LiveStreams {
  /** end every open stream (the service is stopping) */
  closeAll(): void;
  readonly open: number;
}

export async function registerLive(app: FastifyInstance, deps: LiveDeps): Promise<LiveStreams> {
  const streams = new Set<ServerResponse>();
  const attention = attentionOf(deps.store);

  app.get<{ Querystring: { after?: string } }>("/staff/events", { preHandler: requireRole("owner", "operator", "viewer") }, async (req, reply) => {
    const login = req.staffCaller!.login;
    const after = String(req.headers["last-event-id"] ?? req.query.after ?? "").slice(0, 200) || undefined;
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-store", connection: "keep-alive", "x-accel-buffering": "no" });
    res.write("retry: 3000\n\n");
    streams.add(res);
    let queue: Promise<void> = Promise.resolve();
    const unsubscribe = deps.events.subscribe(
      (e) => {
        if (!LIVE_KINDS.has(e.kind)) return;
        // in order: each frame waits for the one before it
        queue = queue.then(async () => {
          const a = await attention(e);
          if (!res.writableEnded) res.write(frame(e, a));
        });
      },
      after ? { after } : {},
    );
    const online = () => markOnline(deps.kv, login).catch(() => undefined);
    void online();
    const heartbeat = setInterval(() => {
      if (!res.writableEnded) res.write(": ping\n\n");
      void online();
    }, HEARTBEAT_MS);
    heartbeat.unref();
    const cleanup = () => {
      clearInterval(heartbeat);
      unsubscribe();
      streams.delete(res);
    };
    req.raw.on("close", cleanup);
    res.on("close", cleanup);
  });

  return {
    closeAll() {
      for (const res of streams) res.end();
      streams.clear();
    },
    get open() {
      return streams.size;
    },
  };
}
