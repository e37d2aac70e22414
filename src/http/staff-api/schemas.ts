import { z } from "zod";
import { AUDIENCES } from "../../model/domain.ts";

/** the staff API's zod schemas: route params, query strings and bodies */
export const Key = z.string().regex(/^(telegram|whatsapp|vk|web|max):[A-Za-z0-9_.:-]{1,128}$/, "conversation key looks like telegram:123");
export const KeyParams = z.object({ key: Key });
export const IdParams = z.object({ id: z.string() });
export const EntryParams = z.object({ id: z.string().regex(/^in_[a-z0-9-]{1,64}$/, "a dead letter's id looks like in_0mx5g4a6h0001…") });
const Staff = z.string().min(1).max(80).default("staff");

/** a reply with nothing to read is refused (it would reach the customer as an empty message) */
const ReplyText = z.string().max(4000).refine((t) => t.trim() !== "", "write something: the reply is empty");
export const ReplyBody = z.object({ text: ReplyText, by: Staff, id: z.string().max(64).optional() }).strict();
/** take and hand back may be posted without a body */
export const ByBody = z.preprocess((b) => b ?? {}, z.object({ by: Staff, step: z.string().max(80).optional(), id: z.string().max(64).optional() }).strict());
const OrderStatus = z.enum(["placed", "confirmed", "shipped", "delivered", "cancelled"]);
export const StatusBody = z.object({ status: OrderStatus, id: z.string().max(64).optional() }).strict();
export const TouchpointBody = z
  .object({
    kind: z.enum(["offline", "note"]).default("offline"),
    summary: z.string().min(1).max(500),
    /** what happened offline: store visit, phone call, courier… */
    via: z.enum(["store_visit", "call", "courier", "email", "other"]).default("other"),
    moment: z.enum(["good", "bad"]).optional(),
    by: Staff,
    at: z.number().int().positive().optional(),
  })
  .strict();

const Limit = { limit: z.coerce.number().int().min(1).max(500).default(100) };
export const ContactsQuery = z.object({ audience: z.enum(AUDIENCES).optional(), atRisk: z.enum(["1", "true"]).optional(), ...Limit });
export const OrdersQuery = z.object({ status: OrderStatus.optional(), ...Limit });
export const OutboxQuery = z.object({ status: z.enum(["pending", "sent", "held", "dead"]).default("held"), ...Limit });
