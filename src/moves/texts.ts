import type { Channel } from "../model/channel.ts";
import type { CartLine } from "../model/domain.ts";

/** What the customer reads when their conversation moves or a reply is carried to another messenger (ru first, en). */
type Locale = "ru" | "en";

const NAMES: Record<Channel, Record<Locale, string>> = {
  telegram: { ru: "Telegram", en: "Telegram" },
  whatsapp: { ru: "WhatsApp", en: "WhatsApp" },
  vk: { ru: "ВКонтакте", en: "VK" },
  max: { ru: "MAX", en: "MAX" },
  web: { ru: "чате на сайте", en: "the web chat" },
};

const lang = (locale: string | undefined): Locale => (locale === "en" ? "en" : "ru");

export function channelName(channel: Channel, locale?: string): string {
  return NAMES[channel][lang(locale)];
}

/** sent on the channel the customer is on: one tap to carry on elsewhere */
export function moveOfferText(to: Channel, link: string, locale?: string): string {
  const name = channelName(to, locale);
  return lang(locale) === "en"
    ? `If messages reach you badly here, let's carry on in ${name}: ${link}\nOne tap — the cart and our conversation come along. The link works once, for 7 days.`
    : `Если сюда сообщения доходят плохо, продолжим в ${name}: ${link}\nОдно нажатие — корзина и переписка сохранятся. Ссылка одноразовая, действует 7 дней.`;
}

/** the first thing said on the new channel after a move */
export function movedHereText(from: Channel, cart: CartLine[], locale?: string): string {
  const en = lang(locale) === "en";
  const name = channelName(from, locale);
  const head = en ? `We carry on here; everything from ${name} is kept.` : `Продолжаем здесь — всё из ${name === "чате на сайте" ? "чата на сайте" : name} сохранено.`;
  if (cart.length === 0) return head;
  const lines = cart.map((l) => `• ${l.title} × ${l.qty}`).join("\n");
  return `${head}\n${en ? "In the cart:" : "В корзине:"}\n${lines}`;
}

/** a reply the first channel could not deliver, carried to another one */
export function undeliverableText(from: Channel, text: string, locale?: string): string {
  const name = channelName(from, locale);
  const head =
    lang(locale) === "en"
      ? `We could not deliver this message in ${name}, so here it is:`
      : `Не получилось доставить сообщение в ${name === "чате на сайте" ? "чат на сайте" : name}, поэтому пишу сюда:`;
  return text.trim() === "" ? head : `${head}\n\n${text}`;
}
