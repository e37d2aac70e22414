import { z } from "zod";
import { CHANNELS } from "../../model/channel.ts";
import { AUDIENCES } from "../../model/domain.ts";

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

export * from "./responses.ts";
export * from "./responses-people.ts";

export const ErrorResponse = z.object({ error: z.string(), message: z.string() });
