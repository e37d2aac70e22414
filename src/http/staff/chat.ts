import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import { staffAction } from "../../staff/actions.ts";
import { requireRole } from "./auth.ts";
import { eventOf, Forms, type Action } from "./chat-actions.ts";
import { chatData, type ChatDeps } from "./chat-data.ts";
import { langOf, t } from "./i18n.ts";
import { renderView, sendPage } from "./layout.ts";

export type { ChatDeps } from "./chat-data.ts";

/**
 * One chat: the contact's whole journey, who has the chat now, and what staff do
 * with it — take, reply (quick replies with {name}/{order}), note, assign, hand back
 * (to the menu or a chosen step), resolve, order status, offline touchpoints. Every
 * write is a system event on the conversation's queue (src/staff/actions.ts).
 */
const Key = z.string().regex(/^(telegram|whatsapp|vk|web|max):[A-Za-z0-9_.:-]{1,128}$/);

export async function registerChat(app: FastifyInstance, deps: ChatDeps): Promise<void> {
  const read = { preHandler: requireRole("owner", "operator", "viewer") };
  const write = { preHandler: requireRole("owner", "operator") };

  const notFound = (req: FastifyRequest, reply: FastifyReply) =>
    reply.code(404).type("text/html; charset=utf-8").send(t(langOf(req), "chat.not_found"));

  app.get<{ Params: { key: string } }>("/staff/chats/:key", read, async (req, reply) => {
    const key = Key.safeParse(req.params.key);
    const cursor = await deps.events.head();
    const data = key.success ? await chatData(req, deps, key.data) : null;
    if (!data) return notFound(req, reply);
    const lang = langOf(req);
    return sendPage(req, reply, "chat", { title: data.name, active: "inbox", live: true, cursor }, {
      ...data,
      liveHtml: renderView("chat-live", lang, { ...data, me: req.staffCaller!.login, csrf: req.staffCaller!.session?.csrf ?? "" }),
    });
  });

  // the part the live connection refreshes: who has the chat, the history
  app.get<{ Params: { key: string } }>("/staff/chats/:key/live", read, async (req, reply) => {
    const key = Key.safeParse(req.params.key);
    const data = key.success ? await chatData(req, deps, key.data) : null;
    if (!data) return notFound(req, reply);
    return reply
      .type("text/html; charset=utf-8")
      .header("cache-control", "no-store")
      .send(renderView("chat-live", langOf(req), { ...data, me: req.staffCaller!.login, csrf: req.staffCaller!.session?.csrf ?? "" }));
  });

  app.post<{ Params: { key: string; action: string } }>("/staff/chats/:key/:action", write, async (req, reply) => {
    const key = Key.safeParse(req.params.key);
    if (!key.success || !Object.hasOwn(Forms, req.params.action)) return notFound(req, reply);
    const action = req.params.action as Action;
    const form = Forms[action].safeParse(req.body ?? {});
    if (!form.success) {
      return reply.code(400).type("text/plain; charset=utf-8").send(form.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; "));
    }
    const me = req.staffCaller!.login;
    const event = await eventOf(deps, key.data, action, form.data as Record<string, string>, me);
    if (event === "not_found") return notFound(req, reply);
    const outcome = await staffAction(deps, key.data, event, me);
    if (!outcome) return notFound(req, reply);
    if (req.headers["hx-request"] === "true") return reply.code(204).header("HX-Trigger", "chat-changed").send();
    return reply.redirect(`/staff/chats/${encodeURIComponent(key.data)}`, 303);
  });
}

