import type { Contact, Locale, Order } from "../model/domain.ts";

/**
 * Ready answers for the chat page; {name} and {order} are filled in from the contact
 * and their latest order when the reply is sent (the operator sees the placeholders
 * in the box and may edit around them).
 */
export const QUICK_REPLIES: Record<Locale, string[]> = {
  ru: [
    "Здравствуйте, {name}! Меня зовут {me}, я помогу.",
    "Ваш заказ №{order} уже собираем, напишу, как только передадим курьеру.",
    "Спасибо, что написали! Уточню и вернусь с ответом в течение 15 минут.",
    "Извините за неудобство, {name}. Сейчас всё исправим.",
  ],
  en: [
    "Hello, {name}! I'm {me}, happy to help.",
    "We are packing your order #{order}; I'll write once it is with the courier.",
    "Thanks for writing! I'll check and come back within 15 minutes.",
    "Sorry for the trouble, {name}. We'll fix it right away.",
  ],
};

export function fillReply(text: string, vars: { contact: Contact | null; orders: Order[]; me: string }): string {
  const values: Record<string, string> = {
    name: vars.contact?.name ?? "",
    order: vars.orders[0]?.number ?? "",
    me: vars.me,
  };
  return text
    .replace(/\{(name|order|me)\}/g, (_m, k: string) => values[k] ?? "")
    .replace(/ +([,.!?])/g, "$1")
    .replace(/,([!.?])/g, "$1")
    .replace(/[ \t]{2,}/g, " ")
    .trim();
}
