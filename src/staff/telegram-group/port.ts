/**
 * What the staff-group desk needs from Telegram, with no SDK type in sight: the
 * adapter (adapters/telegram/staff-group.ts) implements it with grammY and parses the
 * group's updates into StaffGroupMessage.
 */

/** A failure the desk acts on: wait (429), recreate or reopen the topic, or give up. */
export type StaffGroupFailure =
  | { kind: "rate_limited"; retryAfterMs: number; message: string }
  /** the topic was deleted ("message thread not found") */
  | { kind: "thread_gone"; message: string }
  /** the topic is closed (TOPIC_CLOSED): reopen it to write */
  | { kind: "thread_closed"; message: string }
  | { kind: "transient"; message: string }
  | { kind: "permanent"; message: string };

export class StaffGroupError extends Error {
  constructor(readonly failure: StaffGroupFailure) {
    super(failure.message);
    this.name = "StaffGroupError";
  }
}

export interface StaffGroupMedia {
  kind: "photo" | "document";
  /** a Telegram file id of this bot, or an https URL */
  file: string;
  caption?: string;
}

export interface StaffGroupApi {
  /** the group's chat id, as configured (TELEGRAM_STAFF_CHAT_ID) */
  readonly chatId: string;
  /** into a topic, or the general topic when threadId is undefined; answers the message id */
  sendText(text: string, threadId?: number): Promise<number>;
  sendMedia(media: StaffGroupMedia, threadId: number): Promise<number>;
  /** answers the new topic's message_thread_id */
  createTopic(name: string): Promise<number>;
  editTopic(threadId: number, name: string): Promise<void>;
  closeTopic(threadId: number): Promise<void>;
  reopenTopic(threadId: number): Promise<void>;
}

/** A staff member's message in the group, as the adapter parsed it. */
export interface StaffGroupMessage {
  updateId: number;
  messageId: number;
  /** undefined: the general topic */
  threadId?: number;
  from: { id: number; name: string; isBot: boolean };
  text?: string;
  /** "/bot" or "/close" (also "/bot@shop_bot") */
  command?: "bot" | "close";
  /** a photo or document a staff member sent (file id of this bot) */
  media?: StaffGroupMedia;
  at: number;
}

export type StaffGroupHandler = (message: StaffGroupMessage) => Promise<void>;
