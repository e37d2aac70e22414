import type { Plan } from "../../test/support/journeys.ts";

/**
 * The product story's two people (the shop's STORY): Аристарх scans the gym flyer's QR,
 * opens the Telegram bot, orders, rates 5 / NPS 9 «всё отлично», reorders a month later
 * and a third time, and sends Люда from accounting his referral link; Люда comes in VK
 * through it, orders, her delivery goes wrong: CSAT 2, a person takes over.
 */
export const STORY: Plan[] = [
  { channel: "telegram", source: "gym_flyer", audience: "customer", depth: "order", day: 2, reorder: "month", third: true, csat: 5, nps: 9, comment: "всё отлично", referrer: true },
  { channel: "vk", friend: true, audience: "customer", depth: "order", day: 40, csat: 2 },
];
