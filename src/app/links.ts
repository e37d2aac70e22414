import type { Logger } from "pino";
import type { Config } from "../config.ts";
import type { LinkBuilder } from "../engine/engine.ts";
import type { Adapters } from "./adapters.ts";

/**
 * Deep links into each channel. The Telegram and MAX bots' names come from their APIs
 * once the adapters start (`learnNames`); until then their links lead to the web chat.
 */
export function createLinks(config: Config, adapters: Adapters, log: Logger): { links: LinkBuilder; learnNames(): void } {
  let botUsername: string | undefined;
  let maxUsername: string | undefined;
  const publicUrl = config.publicUrl ?? `http://localhost:${config.port}`;
  const links: LinkBuilder = (channel, payload) => {
    if (channel === "telegram" && botUsername) return `https://t.me/${botUsername}?start=${payload}`;
    if (channel === "vk" && config.vk) return `https://vk.me/club${config.vk.groupId}?ref=${payload}`;
    if (channel === "max" && maxUsername) return `https://max.ru/${maxUsername}?start=${payload}`;
    return `${publicUrl}/?start=${payload}`;
  };
  const learnNames = () => {
    adapters.telegram?.getBotInfo().then(
      (me) => (botUsername = me.username),
      (err: unknown) => log.warn({ err: String(err) }, "telegram getMe failed; referral links use the web chat until it works"),
    );
    adapters.max?.getUsername().then(
      (name) => (maxUsername = name),
      (err: unknown) => log.warn({ err: String(err) }, "max: GET /me failed; MAX links use the web chat until it works"),
    );
  };
  return { links, learnNames };
}
