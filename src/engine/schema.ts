import { z } from "zod";
import { AUDIENCES, STAGES } from "../model/domain.ts";
import { HoursSchema } from "../staff/hours.ts";
import { DEFAULT_SLA, SlaSettingsSchema } from "../staff/sla-settings.ts";
import { MoneySchema, PaymentSchema, PromoSchema, SetOfSchema } from "./schema-extras.ts";
import { PHOTO_FILE } from "../photos/files.ts";

/**
 * The one schema for the shop's data in flows/: flows, catalogue, texts and shop
 * settings. `frontdesk flows schema` prints the JSON Schema generated from it for
 * editors. Texts are referenced by key (`text: menu.prompt`) and live in
 * flows/locales/<locale>.yaml, so wording changes never touch structure.
 */

const StepId = z.string().regex(/^[a-z0-9_]+(\.[a-z0-9_]+)?$/, "step ids are lower_snake_case, optionally flow.step");
const TextKey = z.string().regex(/^[a-z0-9_]+(\.[a-z0-9_]+)+$/, "text keys look like section.name");
const VarName = z.string().regex(/^[a-z][a-z0-9_]*$/, "variable names are lower_snake_case");
const Stage = z.enum(STAGES);
/** "30s", "15m", "2h", "12d" */
export const Duration = z.string().regex(/^\d+(s|m|h|d)$/, 'durations look like "30m", "2h" or "12d"');

const Common = {
  /** reaching this step marks the journey stage */
  stage: Stage.optional(),
  /** free note for the owner; ignored by the engine */
  note: z.string().optional(),
};

const Option = z.object({
  id: z.string().regex(/^[A-Za-z0-9_:.-]{1,40}$/, "option ids are 1-40 chars of A-Za-z0-9_:.-"),
  label: TextKey,
  next: StepId,
  /** variables set when this option is taken */
  set: z.record(VarName, z.union([z.string(), z.number(), z.boolean()])).optional(),
  /** shown only when this placeholder is set and not empty, "0" or "false" (e.g. last_order, cart.can_spend) */
  when: z.string().regex(/^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$/).optional(),
});

const Say = z.object({ kind: z.literal("say"), text: TextKey, photo: z.string().optional(), next: StepId.optional(), ...Common }).strict();

const Choose = z
  .object({
    kind: z.literal("choose"),
    text: TextKey,
    photo: z.string().optional(),
    options: z.array(Option).min(1),
    listLabel: TextKey.optional(),
    /** the chosen option id goes into this variable */
    var: VarName.optional(),
    ...Common,
  })
  .strict();

/** Options drawn from the catalogue: categories, or products of a category. */
const Pick = z
  .object({
    kind: z.literal("pick"),
    text: TextKey,
    from: z.enum(["categories", "products", "popular", "matches"]),
    /** category id (template) when from = products */
    category: z.string().optional(),
    var: VarName,
    next: StepId,
    /** extra fixed options shown after the catalogue ones (back, menu…) */
    options: z.array(Option).default([]),
    listLabel: TextKey.optional(),
    ...Common,
  })
  .strict();

const Ask = z
  .object({
    kind: z.literal("ask"),
    text: TextKey,
    input: z.enum(["text", "number", "phone", "email"]),
    var: VarName,
    min: z.number().optional(),
    max: z.number().optional(),
    /** said when the answer does not fit; the question is repeated */
    retry: TextKey,
    /** after this many misses the customer is offered a person */
    maxFailures: z.number().int().min(1).max(10).default(2),
    /** skip the question when the variable is already known */
    skipIfSet: z.boolean().default(false),
    /** offer fixed answers as buttons too (e.g. "12", "24") */
    suggestions: z.array(z.string()).max(6).optional(),
    next: StepId,
    ...Common,
  })
  .strict();

const Goto = z.object({ kind: z.literal("goto"), next: StepId, ...Common }).strict();

const SetVars = z
  .object({ kind: z.literal("set"), vars: z.record(VarName, z.union([z.string(), z.number(), z.boolean()])), next: StepId, ...Common })
  .strict();

const Branch = z
  .object({
    kind: z.literal("branch"),
    cases: z
      .array(
        z.object({
          var: z.string(),
          /** compared as strings after templating; absent = "is set and not empty" */
          equals: z.union([z.string(), z.number(), z.boolean()]).optional(),
          next: StepId,
        }),
      )
      .min(1),
    else: StepId,
    ...Common,
  })
  .strict();

const CartAdd = z
  .object({ kind: z.literal("cart_add"), product: z.string(), qty: z.string().default("1"), next: StepId, ...Common })
  .strict();

const CartClear = z.object({ kind: z.literal("cart_clear"), next: StepId, ...Common }).strict();

/** Show the cart; fills {{cart.lines}} and {{cart.total}} for the text. Empty cart → `empty`. */
const CartShow = z.object({ kind: z.literal("cart_show"), text: TextKey, next: StepId, empty: StepId, ...Common }).strict();

/** Load the last order's lines into the cart (one-tap repeat). No previous order → `none`. */
const CartRepeat = z.object({ kind: z.literal("cart_repeat"), next: StepId, none: StepId, ...Common }).strict();

const PlaceOrder = z
  .object({
    kind: z.literal("order"),
    /** templates for the order's fields */
    delivery: z.string(),
    address: z.string().optional(),
    phone: z.string().optional(),
    text: TextKey,
    next: StepId,
    ...Common,
  })
  .strict();

const Handoff = z
  .object({
    kind: z.literal("handoff"),
    queue: z.string().regex(/^[a-z0-9_]+$/),
    text: TextKey,
    reason: z.string().default("request"),
    /** where the bot resumes when staff hand the chat back; default: the shop's menu */
    resume: StepId.optional(),
    /** what is added about when a person answers: "always" (minutes in working hours, the opening out of hours) or "closed" (only out of hours: the text promises its own time frame) */
    eta: z.enum(["always", "closed"]).default("always"),
    ...Common,
  })
  .strict();

const Feedback = z
  .object({
    kind: z.literal("feedback"),
    scale: z.enum(["csat", "nps", "open"]),
    text: TextKey,
    var: VarName,
    /** a score at or below this is a bad moment of truth: staff are alerted and take over */
    lowAtOrBelow: z.number().int().optional(),
    /** said before handing a low score to a person */
    lowText: TextKey.optional(),
    lowQueue: z.string().regex(/^[a-z0-9_]+$/).default("care"),
    next: StepId,
    ...Common,
  })
  .strict();

/** Wait, then go on; a message from the customer first cancels the wait. */
const Wait = z.object({ kind: z.literal("wait"), after: Duration, next: StepId, ...Common }).strict();

/** Join the bonus programme (loyalty) or opt in/out of broadcasts. */
const Account = z
  .object({
    kind: z.literal("account"),
    action: z.enum(["join_bonus", "opt_in", "opt_out", "set_audience"]),
    audience: z.enum(AUDIENCES).optional(),
    next: StepId,
    ...Common,
  })
  .strict();

/** Send the customer their referral link. */
const Referral = z.object({ kind: z.literal("referral"), text: TextKey, next: StepId, ...Common }).strict();

/** Fill last_order, last_delivery, last_address, last_phone from the customer's last order (one-tap repeat, "same address"). */
const Recall = z.object({ kind: z.literal("recall"), next: StepId, ...Common }).strict();

/** Swap the cart's parts for the cheaper set offered in {{cart.set_offer}}. */
const CartSwapSet = z.object({ kind: z.literal("cart_swap_set"), next: StepId, ...Common }).strict();

/** Apply the promo code the customer typed (var promo_input) or brought by deep link. */
const ApplyPromo = z.object({ kind: z.literal("apply_promo"), next: StepId, ...Common }).strict();

/** Offer online payment for the order just placed: a Telegram invoice, or the provider's link elsewhere. */
const Pay = z.object({ kind: z.literal("pay"), text: TextKey, next: StepId, ...Common }).strict();

const End = z.object({ kind: z.literal("end"), text: TextKey.optional(), ...Common }).strict();

export const StepSchema = z.discriminatedUnion("kind", [
  Say,
  Choose,
  Pick,
  Ask,
  Goto,
  SetVars,
  Branch,
  CartAdd,
  CartClear,
  CartShow,
  CartRepeat,
  PlaceOrder,
  Handoff,
  Feedback,
  Wait,
  Account,
  Referral,
  Recall,
  CartSwapSet,
  ApplyPromo,
  Pay,
  End,
]);
export type Step = z.infer<typeof StepSchema>;
export type StepKind = Step["kind"];

export const FlowSchema = z
  .object({
    id: z.string().regex(/^[a-z0-9_]+$/),
    title: z.string(),
    audience: z.enum(AUDIENCES),
    start: StepId,
    steps: z.record(z.string().regex(/^[a-z0-9_]+$/, "step names are lower_snake_case"), StepSchema),
  })
  .strict();
export type Flow = z.infer<typeof FlowSchema>;

export const ProductSchema = z
  .object({
    id: z.string().regex(/^[a-z0-9_]{1,32}$/),
    category: z.string(),
    title: z.object({ ru: z.string(), en: z.string() }),
    description: z.object({ ru: z.string(), en: z.string() }),
    /** price per unit in roubles (decimal allowed) */
    price: z.number().positive(),
    /** grams of protein per unit, sugar per unit, net weight: the comparison criteria */
    protein: z.number().nonnegative().optional(),
    sugar: z.number().nonnegative().optional(),
    weight: z.number().positive().optional(),
    /** an https URL, or a file in flows/ (photos/bar_choco.png) uploaded once per platform */
    photo: z
      .string()
      .refine((v) => /^https:\/\/\S+$/.test(v) || PHOTO_FILE.test(v), "a photo is an https URL or a .png/.jpg file in flows/photos/ (photos/bar_choco.png)")
      .optional(),
    inStock: z.boolean().default(true),
    /** net content is grams or millilitres: prices per 100 g or per 100 ml */
    unit: z.enum(["g", "ml"]).default("g"),
    /** one tap from the welcome */
    popular: z.boolean().default(false),
    /** extra words customers use for it (the title, category and description are already understood) */
    words: z.object({ ru: z.array(z.string()).default([]), en: z.array(z.string()).default([]) }).strict().optional(),
    /** a set of parts: offered instead when the cart holds that many of the category for more money */
    setOf: SetOfSchema.optional(),
  })
  .strict();
export type Product = z.infer<typeof ProductSchema>;

export const CatalogueSchema = z
  .object({
    currency: z.string().default("₽"),
    categories: z
      .array(z.object({ id: z.string().regex(/^[a-z0-9_]{1,32}$/), title: z.object({ ru: z.string(), en: z.string() }) }).strict())
      .min(1),
    products: z.array(ProductSchema).min(1),
  })
  .strict();
export type Catalogue = z.infer<typeof CatalogueSchema>;

const WordList = z.array(z.string().min(1)).min(1);

export const ShopSchema = z
  .object({
    name: z.object({ ru: z.string(), en: z.string() }),
    defaultLocale: z.enum(["ru", "en"]).default("ru"),
    /** the first step for a new conversation (audience routing) */
    entry: StepId,
    /** where "menu" goes */
    menu: StepId,
    /** the step "a person" goes to (a handoff step) */
    person: StepId,
    /** the step "stop" goes to (opt-out) */
    stop: StepId,
    words: z
      .object({ menu: WordList, person: WordList, stop: WordList, hello: z.array(z.string().min(1)).default([]) })
      .strict(),
    /** free-text understanding: a message containing any word (prefix match) goes to the step */
    intents: z
      .array(z.object({ id: z.string(), words: WordList, next: StepId, stage: Stage.optional() }).strict())
      .default([]),
    /** deep-link payload prefixes: src_gym_flyer is a source; ref_<code> a referral; aud_partner an audience */
    deepLinks: z
      .object({
        audiences: z
          .record(z.string(), z.object({ audience: z.enum(AUDIENCES), next: StepId, /** words that route here too */ words: z.array(z.string().min(1)).default([]) }).strict())
          .default({}),
      })
      .strict()
      .default({ audiences: {} }),
    /** steps the engine jumps to on lifecycle events */
    events: z
      .object({
        /** order marked delivered → after `feedbackDelay` */
        order_delivered: StepId,
        feedbackDelay: Duration.default("2h"),
        /** the customer's usual interval has passed since the last order */
        repeat_due: StepId,
        /** a repeat customer lapsed past their interval: retention offer (curiosity) */
        lapse_due: StepId,
        /** the referrer is told a friend ordered */
        referral_rewarded: StepId,
        /** said when staff hand the chat back */
        handback: StepId,
      })
      .strict(),
    lifecycle: z
      .object({
        /** used until a customer has an interval of their own */
        repeatAfterDays: z.number().positive().default(12),
        /** lapse (curiosity offer) = interval × this factor */
        lapseFactor: z.number().min(1).default(1.75),
        churnAfterDays: z.number().positive().default(60),
        referralBonus: z.number().int().nonnegative().default(300),
        joinBonus: z.number().int().nonnegative().default(100),
      })
      .strict()
      .default({ repeatAfterDays: 12, lapseFactor: 1.75, churnAfterDays: 60, referralBonus: 300, joinBonus: 100 }),
    /** per-audience overrides of where "menu" and "a person" go (a partner's person is the partners' queue) */
    audiences: z
      .partialRecord(z.enum(AUDIENCES), z.object({ menu: StepId.optional(), person: StepId.optional() }).strict())
      .default({}),
    /** a queue per audience, for the staff inbox */
    queues: z.record(z.string(), z.object({ ru: z.string(), en: z.string() })),
    /** where understood words lead (src/engine/understood.ts); a missing one falls back to the menu */
    answers: z
      .object({
        /** a product named: its card (vars product, category) */
        product: StepId.optional(),
        /** a product and a quantity: straight into the cart (vars product, qty) */
        productQty: StepId.optional(),
        /** several products fit: choose one (var matches) */
        products: StepId.optional(),
        /** a category named (var category) */
        category: StepId.optional(),
        /** an FAQ question (var faq): shows {{faq.answer}} */
        faq: StepId.optional(),
        /** a promo code typed or brought by a link (var promo_input) */
        promo: StepId.optional(),
      })
      .strict()
      .default({}),
    money: MoneySchema,
    promos: z.array(PromoSchema).default([]),
    payment: PaymentSchema,
    /** shop facts available to texts as {{shop.<key>}} */
    facts: z.record(z.string(), z.object({ ru: z.string(), en: z.string() })).default({}),
    /** working hours and holidays (time zone, split shifts); absent: open around the clock */
    hours: HoursSchema.optional(),
    /** staff response targets, counted in working hours */
    sla: SlaSettingsSchema.default(DEFAULT_SLA),
  })
  .strict();
export type Shop = z.infer<typeof ShopSchema>;

/** flows/locales/<locale>.yaml: nested maps whose leaves are texts */
export type LocaleTable = Record<string, string>;

export const LocaleFileSchema: z.ZodType<Record<string, unknown>> = z.record(
  z.string(),
  z.union([z.string(), z.lazy(() => LocaleFileSchema)]),
);
