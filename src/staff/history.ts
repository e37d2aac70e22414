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

export function historyOf(touchpoints: Touchpoint[], locale: Locale): HistoryItem[] {
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
        else if (tp.data?.stalled !== undefined || tp.moment) out.push({ ...base, kind: "event", text: tp.summary });
        break;
      case "stage":
        if (tp.stage) out.push({ ...base, kind: "event", text: `${locale === "ru" ? "Этап" : "Stage"}: ${STAGE_TITLES[tp.stage][locale]}` });
        break;
      case "delivery_status":
      case "optin":
        break;
      default:
        out.push({ ...base, kind: "event", text: tp.summary, ...(by ? { by } : {}) });
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
