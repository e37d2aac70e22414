/**
 * What is left to do after `frontdesk init`, per channel, with the exact command or
 * the exact values to paste into the platform's console. Russian first, English on
 * request (--lang en).
 */
export type Lang = "ru" | "en";
export type SetupChannel = "telegram" | "whatsapp" | "vk";

export interface NextStepsInput {
  channels: SetupChannel[];
  /** PUBLIC_URL if known */
  publicUrl?: string;
  secrets: { TELEGRAM_WEBHOOK_SECRET?: string; WHATSAPP_VERIFY_TOKEN?: string; VK_CALLBACK_SECRET?: string };
  /** variables the owner still has to paste into .env (tokens init was not given) */
  missing: string[];
  envPath: string;
}

const t = (lang: Lang, ru: string, en: string) => (lang === "ru" ? ru : en);

export function nextSteps(input: NextStepsInput, lang: Lang): string {
  const base = input.publicUrl && /^https:\/\//.test(input.publicUrl) ? input.publicUrl.replace(/\/+$/, "") : "https://<ваш-домен>";
  const host = lang === "en" ? base.replace("<ваш-домен>", "<your-host>") : base;
  const need = (name: string) => input.missing.includes(name);
  const out: string[] = [];
  const section = (title: string, steps: string[]) => {
    out.push("", title);
    steps.forEach((s, i) => out.push(`  ${i + 1}. ${s}`));
  };
  const paste = (name: string, where: string) =>
    t(lang, `${where} — вставьте в ${input.envPath}: ${name}=…`, `${where} — paste into ${input.envPath}: ${name}=…`);

  if (input.channels.includes("telegram")) {
    const steps: string[] = [];
    if (need("TELEGRAM_BOT_TOKEN")) steps.push(paste("TELEGRAM_BOT_TOKEN", t(lang, "Токен бота из @BotFather (/newbot)", "The bot token from @BotFather (/newbot)")));
    steps.push(
      t(lang, "Запустите сервис по HTTPS-адресу, затем зарегистрируйте вебхук:", "Start the service behind HTTPS, then register the webhook:") +
        `\n       npx frontdesk telegram set-webhook --url ${host}`,
    );
    steps.push(
      t(
        lang,
        "Нет публичного адреса? Добавьте в .env TELEGRAM_MODE=polling (бот сам забирает сообщения).",
        "No public address? Add TELEGRAM_MODE=polling to .env (the bot fetches updates itself).",
      ),
    );
    section("Telegram", steps);
  }
  if (input.channels.includes("whatsapp")) {
    const steps: string[] = [];
    if (need("WHATSAPP_ACCESS_TOKEN") || need("WHATSAPP_PHONE_NUMBER_ID")) {
      steps.push(
        paste(
          "WHATSAPP_ACCESS_TOKEN, WHATSAPP_PHONE_NUMBER_ID",
          t(lang, "developers.facebook.com → ваше приложение → WhatsApp → API Setup: токен системного пользователя и Phone number ID", "developers.facebook.com → your app → WhatsApp → API Setup: a system-user token and the Phone number ID"),
        ),
      );
    }
    if (need("WHATSAPP_APP_SECRET")) steps.push(paste("WHATSAPP_APP_SECRET", t(lang, "App settings → Basic → App secret", "App settings → Basic → App secret")));
    steps.push(
      t(lang, "WhatsApp → Configuration → Webhook → Edit, вставьте:", "WhatsApp → Configuration → Webhook → Edit, paste:") +
        `\n       Callback URL:  ${host}/webhooks/whatsapp` +
        `\n       Verify token:  ${input.secrets.WHATSAPP_VERIFY_TOKEN ?? "(WHATSAPP_VERIFY_TOKEN)"}` +
        t(lang, "\n     затем Webhook fields → подпишитесь на messages.", "\n     then Webhook fields → subscribe to messages."),
    );
    section("WhatsApp", steps);
  }
  if (input.channels.includes("vk")) {
    const steps: string[] = [];
    if (need("VK_GROUP_TOKEN")) {
      steps.push(paste("VK_GROUP_TOKEN", t(lang, "Сообщество → Управление → Работа с API → Ключи доступа: ключ с правом «сообщения»", "Community → Manage → API usage → Access tokens: a token with messages access")));
    }
    if (need("VK_GROUP_ID")) steps.push(paste("VK_GROUP_ID", t(lang, "Номер сообщества (club123456789 → 123456789)", "The community's number (club123456789 → 123456789)")));
    steps.push(
      t(lang, "Работа с API → Callback API → Настройки сервера, вставьте:", "API usage → Callback API → Server settings, paste:") +
        `\n       ${t(lang, "Версия API", "API version")}:  5.199` +
        `\n       ${t(lang, "Адрес", "URL")}:        ${host}/webhooks/vk` +
        `\n       ${t(lang, "Секретный ключ", "Secret key")}: ${input.secrets.VK_CALLBACK_SECRET ?? "(VK_CALLBACK_SECRET)"}`,
    );
    steps.push(
      paste("VK_CONFIRMATION_CODE", t(lang, "Там же: «Строка, которую должен вернуть сервер»", "Same page: “the string the server must return”")) +
        t(lang, "; перезапустите сервис и нажмите «Подтвердить».", "; restart the service and press Confirm."),
    );
    steps.push(
      t(
        lang,
        "Типы событий: message_new, message_event, message_allow, message_deny. Сообщения → Настройки для бота → «Возможности ботов» включить.",
        "Event types: message_new, message_event, message_allow, message_deny. Messages → Bot settings → enable bot features.",
      ),
    );
    section("VK", steps);
  }
  section(t(lang, "Дальше", "Then"), [
    t(lang, "Проверьте всё одной командой:  npx frontdesk doctor", "Check everything with:  npx frontdesk doctor"),
    t(lang, "Попробуйте сценарии в терминале: npx frontdesk chat", "Try the flows in the terminal: npx frontdesk chat"),
    t(lang, "Запустите: npm start   (веб-чат: http://localhost:3000/)", "Start: npm start   (web chat: http://localhost:3000/)"),
  ]);
  return out.join("\n").replace(/^\n/, "");
}
