import { z } from "zod";

/** shop.yaml `sla:` — what staff promise and are measured against (working minutes). */
export const SlaSettingsSchema = z
  .object({
    /** no first answer from a person within this many working minutes of a handoff is a breach; also what the customer is promised */
    firstResponseMinutes: z.number().int().min(1).max(24 * 60).default(5),
  })
  .strict();
export type SlaSettings = z.infer<typeof SlaSettingsSchema>;
export const DEFAULT_SLA: SlaSettings = { firstResponseMinutes: 5 };
