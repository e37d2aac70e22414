import type { FastifyRequest } from "fastify";
import type { Bundle } from "../../engine/bundle.ts";
import type { EventBus } from "../../events/bus.ts";
import { STAGE_TITLES, STAGES } from "../../model/domain.ts";
import { listStaffAccounts } from "../../staff/accounts.ts";
import type { StaffActionDeps } from "../../staff/actions.ts";
import { chatAudit } from "../../staff/audit.ts";
import { handbackSteps, historyOf } from "../../staff/history.ts";
import { displayName } from "../../staff/inbox.ts";
import { QUICK_REPLIES } from "../../staff/quick-replies.ts";
import type { CustomerReads, KeyValuePort } from "../../store/port.ts";
import { langOf } from "./i18n.ts";

const WA_WINDOW_MS = 24 * 3_600_000;

export interface ChatDeps extends StaffActionDeps {
  store: CustomerReads & KeyValuePort;
  bundle: () => Bundle;
  events: Pick<EventBus, "head">;
  /** the WhatsApp template staff replies go out as when the window is closed */
  whatsappTemplate?: string;
}

/** everything the chat page and its live part show, for the caller; null for no such chat */
export async function chatData(req: FastifyRequest, deps: ChatDeps, key: string) {
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

