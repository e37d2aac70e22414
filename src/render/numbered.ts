import type { ChannelCapabilities } from "../model/channel.ts";

/**
 * Whether `n` choices reach the customer as numbered text («1. Каталог»), the one
 * shape where a bare digit is an answer. Mirrors render() and the VK adapter (a
 * client with neither keyboard gets numbered text), so the engine reads «2» as the
 * second choice only where the customer saw a «2.».
 */
export function showsNumbers(n: number, caps: ChannelCapabilities, hints: Record<string, string | number | boolean> = {}): boolean {
  if (n === 0) return false;
  if (caps.channel === "vk" && hints.vkKeyboard === false && hints.vkInline === false) return true;
  const { buttons, list } = caps;
  if (buttons && n <= buttons.max) return false;
  if (list && n <= list.maxRows) return false;
  return true;
}
