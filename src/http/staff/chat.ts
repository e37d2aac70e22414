import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import type { Bundle } from "../../engine/bundle.ts";
import type { EventBus } from "../../events/bus.ts";
import type { InboundSystem } from "../../model/inbound.ts";
import { listStaffAccounts } from "../../staff/accounts.ts";
import { staffAction, type StaffActionDeps } from "../../staff/actions.ts";
import { chatAudit } from "../../staff/audit.ts";
import { handbackSteps, historyOf } from "../../staff/history.ts";
import { displayName } from "../../staff/inbox.ts";
import { fillReply, QUICK_REPLIES } from "../../staff/quick-replies.ts";
import { STAGE_TITLES, STAGES } from "../../model/domain.ts";
import type { CustomerReads, KeyValuePort } from "../../store/port.ts";
import { requireRole } from "./auth.ts";
import { langOf, t } from "./i18n.ts";
import { renderView, sendPage } from "./layout.ts";

/**
 * One chat: the contact's whole journey, who has the chat now, and what staff do
 * with it — take, reply (quick replies with {name}/{order}), note, assign, hand back
 * (to the menu or a chosen step), resolve, order status, offline touchpoints. Every
 * write is a system event on the conversation's queue (src/staff/actions.ts).
 */
const WA_WINDOW_MS = 24 * 3_600_000;
const Key = z.string().regex(/^(telegram|whatsapp|vk|web|max):[A-Za-z0-9_.:-]{1,128}$/);
const Text = z.string().trim().min(1).max(4000);
const Forms = {
  reply: z.object({ text: Text }),
  note: z.object({ text: Text }),
  take: z.object({}),
  resolve: z.object({}),
  handback: z.object({ step: z.string().max(120).optional() }),
  assign: z.object({ to: z.string().min(1).max(40) }),
  offline: z.object({
    summary: z.string().trim().min(1).max(500),
    via: z.enum(["store_visit", "call", "courier", "email", "other"]).default("other"),
    moment: z.enum(["", "good", "bad"]).default(""),
  }),
  status: z.object({ order: z.string().min(1).max(80), status: z.enum(["placed", "confirmed", "shipped", "delivered", "cancelled"]) }),
} as const;
type Action = keyof typeof Forms;

export interface ChatDeps extends StaffActionDeps {
  store: CustomerReads & KeyValuePort;
  bundle: () => Bundle;
  events: Pick<EventBus, "head">;
  /** the WhatsApp template staff replies go out as when the window is closed */
  whatsappTemplate?: string;
}

async function chatData(req: FastifyRequest, deps: ChatDeps, key: string) {
  const lang = langOf(req);
  const conv = await deps.store.getConversation(key);
  if (!conv) return null;
  const [contact, touchpoints, orders, audit, team] = await Promise.all([
    deps.store.getContact(conv.contactId),
    deps.store.listTouchpoints(conv.contactId, 1000),
    deps.store.listOrders({ contactId: conv.contactId, limit: 50 }),
    chatAudit(deps.store, key, 200),
    listStaffAccounts(deps.store),
  ]);
  const now = deps.now();
  const me = req.staffCaller!.login;
  const windowClosed = conv.channel === "whatsapp" && (conv.lastInboundAt === null || now - conv.lastInboundAt >= WA_WINDOW_MS);
  const bundle = deps.bundle();
  return {
    key,
    conv,
    contact,
    name: displayName(contact, conv),
    history: historyOf(touchpoints, lang, bundle),
    orders,
    audit,
    colleagues: team.filter((a) => a.role !== "viewer" && a.login !== me).map((a) => a.login),
    canWrite: req.staffCaller!.role !== "viewer",
    mine: conv.handoff?.assignee === me,
    assignee: conv.handoff?.assignee ?? null,
    inHandoff: conv.handoff !== null,
    windowClosed,
    template: deps.whatsappTemplate ?? "",
    quick: QUICK_REPLIES[lang],
    steps: handbackSteps(bundle, conv.flow, lang),
    stages: STAGES.filter((s) => contact?.stagesReached[s] !== undefined).map((s) => ({ title: STAGE_TITLES[s][lang], at: contact!.stagesReached[s]! })),
    stageTitle: contact ? STAGE_TITLES[contact.stage][lang] : "",
    channels: [...new Set((contact?.identities ?? []).map((i) => i.channel))],
    now,
  };
}

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

async function eventOf(deps: ChatDeps, key: string, action: Action, f: Record<string, string>, me: string): Promise<InboundSystem["event"] | "not_found"> {
  switch (action) {
    case "reply": {
      const conv = await deps.store.getConversation(key);
      if (!conv) return "not_found";
      const [contact, orders] = await Promise.all([deps.store.getContact(conv.contactId), deps.store.listOrders({ contactId: conv.contactId, limit: 1 })]);
      return { kind: "staff_reply", by: me, text: fillReply(f.text!, { contact, orders, me }) };
    }
    case "note":
      return { kind: "staff_note", by: me, text: f.text! };
    case "take":
      return { kind: "handoff_take", by: me };
    case "resolve":
      return { kind: "resolve", by: me };
    case "handback": {
      const conv = await deps.store.getConversation(key);
      if (!conv) return "not_found";
      // only a step the page offered (the default is the shop's hand-back step)
      const known = f.step ? handbackSteps(deps.bundle(), conv.flow, "ru").some((s) => s.ref === f.step) : false;
      return { kind: "handback", by: me, ...(known ? { step: f.step } : {}) };
    }
    case "assign": {
      const to = (await listStaffAccounts(deps.store)).find((a) => a.login === f.to && a.role !== "viewer");
      if (!to) return "not_found";
      return { kind: "assign", by: me, to: to.login };
    }
    case "offline":
      return { kind: "offline", by: me, summary: f.summary!, via: f.via ?? "other", ...(f.moment === "good" || f.moment === "bad" ? { moment: f.moment } : {}) };
    case "status": {
      const order = await deps.store.getOrder(f.order!);
      if (!order || order.conversationKey !== key) return "not_found";
      return { kind: "order_status", orderId: order.id, status: f.status as "placed" };
    }
  }
}
