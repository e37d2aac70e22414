import { z } from "zod";

/**
 * The parts of the shop's data that understanding and money need: the FAQ
 * (flows/faq.yaml), delivery fees and the free-delivery threshold, bonus points,
 * promo codes and payment methods (flows/shop.yaml). Amounts are roubles in the files
 * (as an owner writes them) and integer kopecks everywhere after loading.
 */

const Localized = z.object({ ru: z.string().min(1), en: z.string().min(1) }).strict();
const LocalizedWords = z.object({ ru: z.array(z.string().min(1)).default([]), en: z.array(z.string().min(1)).default([]) }).strict();

/** One question the shop answers from words: the words that ask it, and the answer. */
export const FaqEntrySchema = z
  .object({
    id: z.string().regex(/^[a-z0-9_]{1,40}$/),
    /** words and short phrases that ask this question (any form: they are stemmed) */
    words: LocalizedWords,
    /** the answer, with {{shop.*}} and {{today.*}} placeholders */
    answer: Localized,
  })
  .strict();
export type FaqEntry = z.infer<typeof FaqEntrySchema>;

export const FaqSchema = z.object({ questions: z.array(FaqEntrySchema).default([]) }).strict();
export type Faq = z.infer<typeof FaqSchema>;

const Rub = z.number().nonnegative();

export const MoneySchema = z
  .object({
    /** courier fee by delivery kind (the `delivery` variable), roubles */
    deliveryFees: z.record(z.string(), Rub).default({ courier_office: 290, courier_home: 290, pickup: 0 }),
    /** goods worth this much (after discounts) travel free, roubles */
    freeDeliveryFrom: Rub.default(2500),
    bonus: z
      .object({
        /** percent of the goods paid (after discounts and points) credited as points; 1 point = 1 ₽ */
        earnPercent: z.number().min(0).max(100).default(5),
        /** at most this percent of the goods may be paid with points */
        maxSpendPercent: z.number().min(0).max(100).default(30),
      })
      .strict()
      .default({ earnPercent: 5, maxSpendPercent: 30 }),
  })
  .strict()
  .default({ deliveryFees: { courier_office: 290, courier_home: 290, pickup: 0 }, freeDeliveryFrom: 2500, bonus: { earnPercent: 5, maxSpendPercent: 30 } });
export type MoneyRules = z.infer<typeof MoneySchema>;

export const PromoSchema = z
  .object({
    /** what the customer types or the deep link carries (promo_<code>); compared case-insensitively */
    code: z.string().regex(/^[A-Za-z0-9]{3,20}$/),
    percent: z.number().positive().max(100).optional(),
    /** roubles off */
    amount: Rub.optional(),
    /** last day it works, YYYY-MM-DD (Moscow time) */
    until: z.string().regex(/^\d{4}-\d{2}-\d{2}$/).optional(),
    /** uses overall, all customers together */
    limit: z.number().int().positive().optional(),
    /** uses per customer */
    perCustomer: z.number().int().positive().default(1),
    /** goods worth at least this much, roubles */
    minOrder: Rub.default(0),
  })
  .strict()
  .refine((p) => (p.percent === undefined) !== (p.amount === undefined), { message: "a promo code has either percent or amount" });
export type Promo = z.infer<typeof PromoSchema>;

export const PaymentSchema = z
  .object({
    /** offered at checkout: on delivery (cash or card to the courier), online */
    methods: z.array(z.enum(["on_delivery", "online"])).min(1).default(["on_delivery", "online"]),
    /** off Telegram: a provider's payment page; {order} and {amount} (kopecks) are filled in */
    linkTemplate: z.string().url().optional(),
  })
  .strict()
  .default({ methods: ["on_delivery", "online"] });
export type PaymentRules = z.infer<typeof PaymentSchema>;

/** A cheaper set the cart can be swapped for when it holds its parts (12 bars → the office box). */
export const SetOfSchema = z.object({ category: z.string(), qty: z.number().int().min(2) }).strict();
