import { z } from "zod";
import { STAGES } from "../../model/domain.ts";

/** what the funnel, sources, dropoff and feedback reports answer (times epoch ms, money in kopecks) */
export const Stage = z.enum(STAGES);
export const Ms = z.number();
export const Num = z.number();
export const Ratio = z.number().nullable();
const Row = z.object({ stage: Stage, reached: Num, conversion: Ratio, medianMsFromPrevious: Ms.nullable() });
export const PeriodOut = { from: Ms, to: Ms };

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

