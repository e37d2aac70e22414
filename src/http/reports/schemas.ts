import { z } from "zod";
import { CHANNELS } from "../../model/channel.ts";
import { AUDIENCES, STAGES } from "../../model/domain.ts";

/**
 * The report API's zod schemas: what each route takes (validated by fastify) and
 * answers (serialised through them), and the source of the OpenAPI document at
 * /api/docs. Times are epoch ms (UTC); money in minor units (kopecks).
 */
const DateParam = z
  .string()
  .regex(/^(\d{1,15}|\d{4}-\d{2}-\d{2}(T[\d:.]+Z?)?)$/, "an ISO date (2026-11-01) or epoch ms")
  .describe("ISO date or epoch ms");

export const ReportQuery = z
  .object({
    from: DateParam.optional().describe("start of the period (default: `days` before `to`)"),
    to: DateParam.optional().describe("end of the period, exclusive (default: now)"),
    days: z.enum(["7", "30", "90"]).optional().describe("period length when `from` is not given (default 30)"),
    audience: z.enum([...AUDIENCES, "all"]).default("customer").describe("who counts; customers only by default"),
    channel: z.enum(CHANNELS).optional(),
    source: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/).optional().describe("a source group: gym_flyer, referrals, direct…"),
    format: z.enum(["json", "csv"]).default("json").describe("csv: UTF-8 with BOM, `;`-separated, for Excel"),
  })
  .strict();
export type ReportQuery = z.infer<typeof ReportQuery>;

export const FunnelQuery = ReportQuery.extend({ split: z.enum(["channel", "source", "audience"]).optional() }).strict();
export const FeedbackQuery = ReportQuery.extend({ q: z.string().max(100).optional().describe("search the open answers") }).strict();

const Stage = z.enum(STAGES);
const Ms = z.number();
const Num = z.number();
const Ratio = z.number().nullable();
const Row = z.object({ stage: Stage, reached: Num, conversion: Ratio, medianMsFromPrevious: Ms.nullable() });
const PeriodOut = { from: Ms, to: Ms };

export const FunnelResponse = z.object({
  ...PeriodOut,
  audience: z.string().optional(),
  channel: z.string().optional(),
  source: z.string().optional(),
  rows: z.array(Row),
  churned: Num,
  sources: z.array(z.object({ source: z.string(), contacts: Num, ordered: Num })),
  dropOff: z.array(z.object({ flow: z.string(), step: z.string(), count: Num })),
  previous: z.object({ ...PeriodOut, rows: z.array(Row), churned: Num }).optional(),
  split: z.object({ by: z.string(), slices: z.array(z.object({ key: z.string(), rows: z.array(Row), churned: Num })) }).optional(),
});

const SourceRow = z.object({
  source: z.string(),
  contacts: Num,
  converted: Num,
  conversion: Ratio,
  firstOrders: Num,
  orders: Num,
  revenue: Num.describe("minor units"),
});
export const SourcesResponse = z.object({ ...PeriodOut, audience: z.string(), rows: z.array(SourceRow), total: SourceRow });

const DropStep = z.object({ flow: z.string(), step: z.string(), kind: z.string(), reached: Num, stopped: Num, rate: Ratio, terminal: z.boolean() });
export const DropoffResponse = z.object({
  ...PeriodOut,
  audience: z.string(),
  flows: z.array(z.object({ flow: z.string(), title: z.string(), steps: z.array(DropStep) })),
  worst: z.array(DropStep),
});

export const FeedbackResponse = z.object({
  ...PeriodOut,
  csat: z.object({ count: Num, average: Num.nullable(), distribution: z.array(z.object({ score: Num, count: Num })) }),
  nps: z.object({
    count: Num,
    promoters: Num,
    passives: Num,
    detractors: Num,
    score: Num.nullable(),
    weeks: z.array(z.object({ from: Ms, count: Num, score: Num.nullable() })),
  }),
  answers: z.array(z.object({ at: Ms, contactId: z.string(), name: z.string().nullable(), text: z.string() })),
  lowScores: z.array(
    z.object({
      at: Ms,
      contactId: z.string(),
      name: z.string().nullable(),
      conversationKey: z.string().nullable(),
      scale: z.enum(["csat", "nps"]),
      score: Num,
      handledBy: z.array(z.string()),
      firstReplyAt: Ms.nullable(),
      resolvedAt: Ms.nullable(),
      outcome: z.enum(["resolved", "in_progress", "not_taken"]),
    }),
  ),
});

export const RiskResponse = z.object({
  ...PeriodOut,
  moments: z.object({ good: Num, bad: Num, balance: Num }),
  balances: z.array(z.object({ band: z.string(), contacts: Num })),
  atRisk: z.array(
    z.object({
      contactId: z.string(),
      name: z.string().nullable(),
      channel: z.string().nullable(),
      conversationKey: z.string().nullable(),
      balance: Num,
      reason: z.enum(["bad_moment", "overdue"]),
      detail: z.string(),
      since: Ms,
      daysOverdue: Num.nullable(),
    }),
  ),
});

export const CohortsResponse = z.object({
  ...PeriodOut,
  cohorts: z.array(z.object({ month: z.string(), customers: Num, retention: z.array(Ratio) })),
  customers: Num,
  repeatCustomers: Num,
  repeatRate: Ratio,
  churned: Num,
  halfInThreeYears: z.array(Num),
});

export const StaffResponse = z.object({
  ...PeriodOut,
  cases: Num,
  unanswered: Num,
  unresolved: Num,
  medianFirstResponseMs: Ms.nullable(),
  medianResolutionMs: Ms.nullable(),
  operators: z.array(
    z.object({
      operator: z.string(),
      chats: Num,
      replies: Num,
      medianFirstResponseMs: Ms.nullable(),
      medianResolutionMs: Ms.nullable(),
      resolved: Num,
    }),
  ),
});

export const ErrorResponse = z.object({ error: z.string(), message: z.string() });
