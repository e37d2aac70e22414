import type { Audience } from "../../model/domain.ts";

/**
 * What the staff group reads (Russian: the shop's staff language). Plain text — the
 * desk never sends parse_mode, so a customer's `<b>` or `*` arrives as typed.
 */

const CHANNEL_NAMES: Record<string, string> = {
  telegram: "Telegram",
  whatsapp: "WhatsApp",
  vk: "VK",
  web: "веб-чат",
  max: "MAX",
  offline: "офлайн",
};
const AUDIENCE_NAMES: Record<Audience, string> = {
  customer: "покупатель",
  partner: "партнёр",
  supplier: "поставщик",
  jobseeker: "соискатель",
  investor: "инвестор",
  press: "пресса",
};
const REASONS: Record<string, string> = {
  "asked for a person": "попросил(а) человека",
  advice: "нужен совет по тренировкам",
  "staff wrote": "сотрудник написал первым",
  "staff took over": "сотрудник взял чат",
  "partner lead": "заявка партнёра",
  "supplier offer": "предложение поставщика",
  "job application": "отклик на вакансию",
  "investor enquiry": "вопрос инвестора",
  "press enquiry": "запрос прессы",
};

export const channelName = (channel: string): string => CHANNEL_NAMES[channel] ?? channel;
export const audienceName = (audience: Audience): string => AUDIENCE_NAMES[audience] ?? audience;

export function reasonText(reason: string): string {
  const low = /^low (csat|nps) (\d+)/.exec(reason);
  if (low) return `низкая оценка: ${low[1]!.toUpperCase()} ${low[2]}`;
  if (/^not understood/.test(reason)) return "бот не понял несколько раз";
  return REASONS[reason] ?? reason;
}

/** The topic's name: customer · channel · audience */
export function topicTitle(name: string | undefined, channel: string, audience: Audience): string {
  return `${name?.trim() || "Клиент без имени"} · ${channelName(channel)} · ${audienceName(audience)}`;
}

/** t.me link to a topic of a supergroup (-100… ids) */
export function topicLink(chatId: string, threadId: number): string | undefined {
  const m = /^-100(\d+)$/.exec(chatId);
  return m ? `https://t.me/c/${m[1]}/${threadId}` : undefined;
}

export const texts = {
  handoffAlert: (who: string, queue: string, reason: string, link?: string) =>
    `🔔 Нужен человек: ${who}\nОчередь: ${queue}. Причина: ${reason}.${link ? `\n${link}` : ""}`,
  lowScoreAlert: (who: string, score: string, link?: string) => `⚠️ Низкая оценка ${score}: ${who}${link ? `\n${link}` : ""}`,
  slaAlert: (who: string, minutes: number, queue: string, link?: string) =>
    `⏰ Нет ответа уже ${minutes} мин рабочего времени: ${who}\nОчередь: ${queue}.${link ? `\n${link}` : ""}`,
  otherAlert: (summary: string) => `🔔 ${summary}`,
  topicHeader: (who: string, queue: string, reason: string, channel: string, recent: string[]) =>
    [
      `🙋 ${who} — ${reason}. Очередь: ${queue}.`,
      ...(recent.length ? ["", "Последние сообщения:", ...recent] : []),
      "",
      `Пишите здесь — ответ уйдёт клиенту в ${channel}. /bot — вернуть чат боту, /close — вопрос решён, закрыть тему.`,
    ].join("\n"),
  customer: (text: string) => `👤 ${text}`,
  bot: (text: string) => `🤖 ${text}`,
  attachment: (kind: string) => `📎 ${kind === "photo" ? "фото" : kind === "document" ? "файл" : kind === "audio" ? "аудио" : kind === "video" ? "видео" : "вложение"} — откройте чат в инбоксе`,
  staffElsewhere: (by: string, text: string) => `💬 ${by}: ${text}`,
  taken: (by: string) => `👋 ${by} взял(а) чат.`,
  handedBack: (by: string) => `↩️ ${by} вернул(а) чат боту.`,
  resolved: (by: string) => `✅ ${by}: вопрос решён, тема закрыта.`,
  notInHandoff: "Чат уже у бота. Если клиент снова позовёт человека, он появится здесь.",
  mediaNotForwarded: "Фото и файлы отсюда клиенту не пересылаются — напишите текстом или отправьте из инбокса.",
  noTopic: "Тему для клиента создать не удалось: включите в группе темы и дайте боту права администратора «Управление темами». Ответить можно из инбокса.",
  unknownTopic: "Эта тема не связана с клиентом: ответы пишите в теме клиента.",
};
