import type { InboundSystem } from "../model/inbound.ts";
import { money } from "./text.ts";
import type { Turn } from "./turn.ts";

type PaymentEvent = Extract<InboundSystem["event"], { kind: "payment" | "order_refund" }>;

/**
 * An order paid online, or a refund staff noted. A payment is a touchpoint and the
 * funnel's action stage (the customer acted); it is checked against the order as it
 * stands: a payment for a changed amount is recorded for staff, never silently taken
 * as the order's.
 */
export function onPayment(turn: Turn, ev: PaymentEvent): void {
  const order = turn.orders.find((o) => o.id === ev.orderId);
  if (!order) {
    turn.touch("note", `${ev.kind} for an unknown order ${ev.orderId}`, { data: { orderId: ev.orderId, error: "unknown_order" } });
    return;
  }
  const m = (k: number) => money(k, turn.bundle.catalogue.currency, turn.locale);
  if (ev.kind === "order_refund") {
    if (order.payment?.status !== "paid") return;
    turn.saveOrder({ ...order, payment: { ...order.payment, status: "refunded", refundedAt: turn.now, refundNote: ev.note }, updatedAt: turn.now });
    turn.touch("order_status", `order ${order.number}: refunded by ${ev.by}: ${ev.note}`, { data: { orderId: order.id, refund: true, by: ev.by } });
    return;
  }
  if (order.payment?.status === "paid") return; // the same payment delivered twice
  const matches = ev.amount === order.total && ev.currency === "RUB";
  turn.saveOrder({
    ...order,
    payment: {
      method: "online",
      status: "paid",
      provider: ev.provider,
      chargeId: ev.chargeId,
      paidAt: turn.now,
    },
    updatedAt: turn.now,
  });
  turn.touch("order_status", `order ${order.number}: paid ${m(ev.amount)} online`, {
    moment: "good",
    data: { orderId: order.id, paid: ev.amount, chargeId: ev.chargeId, ...(matches ? {} : { mismatch: order.total }) },
  });
  turn.reachForward("action", "paid an order online");
  turn.say({ text: turn.t("pay.paid", { amount: m(ev.amount), order: { number: order.number } }) });
}
