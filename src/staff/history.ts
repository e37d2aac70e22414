import { STAGE_TITLES, type Locale, type Touchpoint } from "../model/domain.ts";
import type { Bundle } from "../engine/bundle.ts";
import { text } from "../engine/text.ts";

/**
 * A contact's journey as the chat page shows it: messages as bubbles (customer, bot,
 * staff), internal notes, and the events between them (handoffs, orders, scores,
 * stages, offline touchpoints). The engine's own bookkeeping (what it understood,
 * cart lines) is left out.
 */
export interface HistoryItem {
  at: number;
  kind: "in" | "out" | "staff" | "note" | "event";
  channel: string;
  text: string;
  by?: string;
  bad: boolean;
  good: boolean;
}

const EVENT_TEXT = {
  ru: {
    handoff: "Передан сотрудникам ({queue}): {reason}",
    taken: "{by} взял(а) чат",
    back: "{by} вернул(а) чат боту",
    resolved: "{by} отметил(а) вопрос решённым",
    assigned: "{by} передал(а) чат: {to}",
    status: "Заказ №{number}: {from} → {to}",
    order: "Заказ №{number} оформлен",
    feedback: "Оценка {scale}: {score}",
    open: "Отзыв: {text}",
    offline: "Офлайн ({via}): {summary}",
    stalled: "Бот не понял ответ несколько раз",
  },
  en: {
    handoff: "Handed to staff ({queue}): {reason}",
    taken: "{by} took the chat",
    back: "{by} handed the chat back to the bot",
    resolved: "{by} marked it resolved",
    assigned: "{by} assigned the chat to {to}",
    status: "Order #{number}: {from} → {to}",
    order: "Order #{number} placed",
    feedback: "{scale} score: {score}",
    open: "Feedback: {text}",
    offline: "Offline ({via}): {summary}",
    stalled: "The bot did not understand several times",
  },
} as const;

const STATUS = {
  ru: { placed: "оформлен", confirmed: "подтверждён", shipped: "отправлен", delivered: "доставлен", cancelled: "отменён" },
  en: { placed: "placed", confirmed: "confirmed", shipped: "shipped", delivered: "delivered", cancelled: "cancelled" },
} as const;
const VIA = {
  ru: { store_visit: "визит в магазин", call: "звонок", courier: "курьер", email: "почта", other: "другое" },
  en: { store_visit: "store visit", call: "call", courier: "courier", email: "email", other: "other" },
} as const;

const REASONS: Record<Locale, Record<string, string>> = {
  ru: { "asked for a person": "просит человека", advice: "нужен совет", "staff wrote": "написал сотрудник", "staff took over": "сотрудник взял чат" },
  en: {},
};

function fillIn(template: string, vars: Record<string, unknown>): string {
  return template.replace(/\{(\w+)\}/g, (_m, k: string) => String(vars[k] ?? ""));
}

/** a journey event in the staff member's language (the engine logs them in English) */
export function eventText(tp: Touchpoint, locale: Locale, bundle?: Bundle): string {
  const T = EVENT_TEXT[locale];
  const d = tp.data ?? {};
  const str = (v: unknown) => (typeof v === "string" ? v : "");
  switch (tp.kind) {
    case "handoff": {
      if (d.resolved === true) return fillIn(T.resolved, d);
      if (d.assignee !== undefined) return fillIn(T.assigned, { by: d.by, to: d.assignee });
      if (d.back === true) return fillIn(T.back, d);
      if (d.queue === undefined) return d.by ? fillIn(T.taken, d) : tp.summary;
      const queue = bundle?.shop.queues[str(d.queue)]?.[locale] ?? str(d.queue);
      const reason = str(d.reason);
      const score = /^low (\w+) (\d+)/.exec(reason);
      const said = score ? fillIn(T.feedback, { scale: score[1]!.toUpperCase(), score: score[2] }) : (REASONS[locale][reason] ?? reason);
      return fillIn(T.handoff, { queue, reason: said });
    }
    case "order_status": {
      const statuses = STATUS[locale] as Record<string, string>;
      const number = /order (\S+):/.exec(tp.summary)?.[1] ?? "";
      return fillIn(T.status, { number, from: statuses[str(d.from)] ?? d.from, to: statuses[str(d.to)] ?? d.to });
    }
    case "order":
      return fillIn(T.order, { number: /^order (\S+?):/.exec(tp.summary)?.[1] ?? "" });
    case "feedback":
      if (d.scale === "open") return fillIn(T.open, { text: d.text });
      return fillIn(T.feedback, { scale: str(d.scale).toUpperCase(), score: d.score });
    case "offline":
      return fillIn(T.offline, { via: (VIA[locale] as Record<string, string>)[str(d.via)] ?? d.via, summary: tp.summary });
    case "note":
      return d.stalled !== undefined ? T.stalled : tp.summary;
    default:
      return tp.summary;
  }
}

export function historyOf(touchpoints: Touchpoint[], locale: Locale, bundle?: Bundle): HistoryItem[] {
  const out: HistoryItem[] = [];
  for (const tp of touchpoints) {
    const base = { at: tp.at, channel: tp.channel, bad: tp.moment === "bad", good: tp.moment === "good" };
    const by = typeof tp.data?.by === "string" ? tp.data.by : undefined;
    switch (tp.kind) {
      case "message_in":
      case "button":
        out.push({ ...base, kind: "in", text: tp.summary });
        break;
      case "message_out":
        out.push(tp.data?.staff === true ? { ...base, kind: "staff", text: tp.summary, ...(by ? { by } : {}) } : { ...base, kind: "out", text: tp.summary });
        break;
      case "note":
        if (tp.data?.internal === true) out.push({ ...base, kind: "note", text: tp.summary, ...(by ? { by } : {}) });
        else if (tp.data?.stalled !== undefined || tp.moment) out.push({ ...base, kind: "event", text: eventText(tp, locale, bundle) });
        break;
      case "stage":
        if (tp.stage) out.push({ ...base, kind: "event", text: `${locale === "ru" ? "Этап" : "Stage"}: ${STAGE_TITLES[tp.stage][locale]}` });
        break;
      case "delivery_status":
      case "optin":
        break;
      default:
        out.push({ ...base, kind: "event", text: eventText(tp, locale, bundle), ...(by ? { by } : {}) });
    }
  }
  return out;
}

/** steps staff may hand a chat back to: the menu first, then the questions of the chat's flow, by their text */
export function handbackSteps(bundle: Bundle, flowName: string, locale: Locale): { ref: string; label: string }[] {
  const flow = bundle.flows.get(flowName);
  if (!flow) return [];
  const steps: { ref: string; label: string }[] = [];
  for (const [id, def] of Object.entries(flow.steps)) {
    if (def.kind !== "choose" && def.kind !== "pick" && def.kind !== "ask") continue;
    const label = text(bundle, locale, def.text, () => "").replace(/\s+/g, " ").slice(0, 60);
    steps.push({ ref: `${flowName}.${id}`, label: label || id });
  }
  return steps;
}
