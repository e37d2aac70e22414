import { describeOpening, isOpen, nextOpening } from "../staff/hours.ts";
import type { Turn } from "./turn.ts";

/**
 * What a customer handed to a person is told about the wait, from the shop's working
 * hours (shop.yaml `hours`) and promise (`sla.firstResponseMinutes`): in working hours
 * "usually within N minutes", out of hours when the shop opens, in its time zone.
 */
export function waitingNotice(turn: Turn, opts: { inHoursToo: boolean }): string | undefined {
  const { shop } = turn.bundle;
  if (isOpen(shop.hours, turn.now)) {
    return opts.inHoursToo ? turn.t("waiting.soon", { minutes: shop.sla.firstResponseMinutes }) : undefined;
  }
  const opens = nextOpening(shop.hours, turn.now);
  if (opens === null) return turn.t("waiting.closed_long");
  return turn.t("waiting.closed", openingScope(turn, opens));
}

/**
 * The one acknowledgement of messages written while waiting for a person: the first
 * message after the handoff notice gets it, later ones are kept for staff in silence.
 * Nothing once a person has answered (the customer is talking to them).
 */
export function acknowledgeWhileWaiting(turn: Turn): void {
  const handoff = turn.conv.handoff;
  if (!handoff || handoff.acknowledged || handoff.assignee) return;
  handoff.acknowledged = true;
  const { shop } = turn.bundle;
  const opens = isOpen(shop.hours, turn.now) ? turn.now : nextOpening(shop.hours, turn.now);
  const text = opens === turn.now || opens === null ? turn.t("engine.in_queue") : turn.t("waiting.ack_closed", openingScope(turn, opens));
  turn.say({ text });
}

function openingScope(turn: Turn, opens: number): { opens: string; zone: string } {
  const d = describeOpening(turn.bundle.shop.hours, opens, turn.now, turn.locale);
  return { opens: turn.t(`waiting.${d.when}`, { time: d.time, date: d.date }), zone: d.zone };
}
