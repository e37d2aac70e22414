import { z } from "zod";
import { Ms, Num, Ratio, PeriodOut } from "./responses.ts";

/** what the at-risk, cohorts and staff reports answer */
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

