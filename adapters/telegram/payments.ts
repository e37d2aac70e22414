import { z } from "zod";
import type { Order } from "../../src/model/domain.ts";
import type { InboundEvent } from "../../src/model/inbound.ts";
import type { Invoice } from "../../src/model/outbound.ts";
import { orderStillStands } from "../../src/engine/checkout.ts";

/**
 * Telegram payments (Bot API "Payments"): an order's invoice goes out with
 * sendInvoice (its lines as LabeledPrice in kopecks); Telegram asks before charging
 * with a pre_checkout_query, which must be answered within 10 s — here in the
 * webhook's own response, after checking the order still stands (same total, not
 * cancelled, not already paid); the charge arrives as a message with
 * successful_payment, which becomes a "payment" event on the order's conversation.
 */

const Id = z.number().int();
const From = z.object({ id: Id }).passthrough();

export const PreCheckoutQuery = z.object({
  id: z.string().min(1),
  from: From,
  currency: z.string().length(3),
  total_amount: Id,
  invoice_payload: z.string().min(1).max(128),
});

export const SuccessfulPayment = z.object({
  currency: z.string().length(3),
  total_amount: Id,
  invoice_payload: z.string().min(1).max(128),
  telegram_payment_charge_id: z.string().min(1),
  provider_payment_charge_id: z.string().optional(),
});

const PaymentUpdate = z.object({
  update_id: Id.nonnegative(),
  pre_checkout_query: PreCheckoutQuery.optional(),
  message: z
    .object({ message_id: Id, date: Id, chat: z.object({ id: Id, type: z.string() }), from: From.optional(), successful_payment: SuccessfulPayment.optional() })
    .passthrough()
    .optional(),
});

export type PaymentIntake =
  | { kind: "pre_checkout"; query: z.infer<typeof PreCheckoutQuery> }
  | { kind: "paid"; event: InboundEvent }
  | undefined;

/** A payment update, or undefined for every other update (they go the usual way). */
export function paymentIntake(update: unknown): PaymentIntake {
  const u = PaymentUpdate.safeParse(update);
  if (!u.success) return undefined;
  if (u.data.pre_checkout_query) return { kind: "pre_checkout", query: u.data.pre_checkout_query };
  const m = u.data.message;
  const paid = m?.successful_payment;
  if (!m || !paid) return undefined;
  return {
    kind: "paid",
    event: {
      type: "system",
      channel: "telegram",
      chatId: String(m.chat.id),
      userId: String(m.from?.id ?? m.chat.id),
      // one charge is one payment, however often Telegram delivers it
      dedupeKey: `pay:${paid.telegram_payment_charge_id}`,
      at: m.date * 1000,
      event: {
        kind: "payment",
        orderId: paid.invoice_payload,
        amount: paid.total_amount,
        currency: paid.currency,
        chargeId: paid.telegram_payment_charge_id,
        ...(paid.provider_payment_charge_id ? { providerChargeId: paid.provider_payment_charge_id } : {}),
        provider: "telegram",
      },
    },
  };
}

const REFUSAL: Record<"gone" | "cancelled" | "paid" | "changed", string> = {
  gone: "Этого заказа больше нет — напишите в чат, оформим заново.",
  cancelled: "Заказ отменён — напишите в чат, если это ошибка.",
  paid: "Этот заказ уже оплачен.",
  changed: "Заказ изменился — откройте чат, я пришлю новый счёт.",
};

/** The webhook's answer to a pre_checkout_query: ok only when the order is the one invoiced. */
export async function answerPreCheckout(
  query: z.infer<typeof PreCheckoutQuery>,
  findOrder: (id: string) => Promise<Order | null>,
): Promise<{ method: "answerPreCheckoutQuery"; pre_checkout_query_id: string; ok: boolean; error_message?: string }> {
  const order = await findOrder(query.invoice_payload);
  const check = orderStillStands(order, query.total_amount, query.currency);
  return check.ok
    ? { method: "answerPreCheckoutQuery", pre_checkout_query_id: query.id, ok: true }
    : { method: "answerPreCheckoutQuery", pre_checkout_query_id: query.id, ok: false, error_message: REFUSAL[check.reason] };
}

/** sendInvoice's parameters for an order (provider_token from TELEGRAM_PAYMENT_PROVIDER_TOKEN; empty for Telegram Stars is not used: RUB needs a provider). */
export function invoiceParams(invoice: Invoice, providerToken: string) {
  return {
    title: invoice.title,
    description: invoice.description,
    payload: invoice.payload,
    provider_token: providerToken,
    currency: invoice.currency,
    prices: invoice.prices,
  };
}
