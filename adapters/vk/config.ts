import { z } from "zod";
import { channel, num, optional, url } from "../../src/config-fields.ts";

/** VK community's environment variables (src/config.ts merges them into the one schema). */
export const VkEnv = z.object({
  VK_GROUP_TOKEN: optional,
  VK_GROUP_ID: num(z.number().int().positive(), 0).transform((v) => (v === 0 ? undefined : v)),
  VK_CALLBACK_SECRET: optional,
  VK_CONFIRMATION_CODE: optional,
  VK_API_BASE: url("https://api.vk.ru/method"),
});
export type VkEnv = z.infer<typeof VkEnv>;

export interface VkConfig {
  token: string;
  groupId: number;
  secret: string;
  confirmationCode: string;
  apiBase: string;
}

/** The community's config, or undefined when it is off (all four variables or none). */
export function vkConfig(env: VkEnv, problems: string[]): VkConfig | undefined {
  return channel(
    env,
    "VK",
    ["VK_GROUP_TOKEN", "VK_GROUP_ID", "VK_CALLBACK_SECRET", "VK_CONFIRMATION_CODE"],
    () =>
      ({
        token: env.VK_GROUP_TOKEN!,
        groupId: env.VK_GROUP_ID!,
        secret: env.VK_CALLBACK_SECRET!,
        confirmationCode: env.VK_CONFIRMATION_CODE!,
        apiBase: env.VK_API_BASE,
      }) satisfies VkConfig,
    problems,
  );
}
