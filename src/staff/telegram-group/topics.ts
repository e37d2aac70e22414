import { z } from "zod";
import type { KeyValuePort } from "../../store/kv.ts";
import type { StaffGroupApi } from "./port.ts";

/**
 * One forum topic per customer (contact), kept in the key-value port so every
 * instance finds it and a customer who comes back — on any channel — gets the same
 * topic, reopened. "sg.topic" maps contact → topic, "sg.thread" topic → contact.
 */
const TOPIC_NS = "sg.topic";
const THREAD_NS = "sg.thread";
/** Telegram's limit for a topic name */
const MAX_NAME = 128;

const TopicRecord = z.object({
  threadId: z.number().int(),
  name: z.string(),
  /** the chat a staff message in the topic goes to (the last one handed over) */
  conversationKey: z.string(),
  /** a person has the chat: the customer's messages are mirrored */
  active: z.boolean(),
  closed: z.boolean().default(false),
});
export type TopicRecord = z.infer<typeof TopicRecord>;

export class Topics {
  /**
   * What was read or written, by contact: every customer message asks "is there an
   * active topic?", and only the posting instance writes these records, so while it
   * holds the lease its own memory is the truth (cleared when it gains the lease).
   */
  private readonly cache = new Map<string, TopicRecord | null>();

  constructor(
    private readonly kv: KeyValuePort,
    private readonly api: StaffGroupApi,
  ) {}

  forget(): void {
    this.cache.clear();
  }

  async get(contactId: string): Promise<TopicRecord | null> {
    const known = this.cache.get(contactId);
    if (known !== undefined) return known;
    const rec = parse(await this.kv.kvGet(TOPIC_NS, contactId));
    if (this.cache.size > 20_000) this.cache.clear();
    this.cache.set(contactId, rec);
    return rec;
  }

  async byThread(threadId: number): Promise<(TopicRecord & { contactId: string }) | null> {
    const contactId = await this.kv.kvGet(THREAD_NS, String(threadId));
    if (!contactId) return null;
    const rec = await this.get(contactId);
    return rec && rec.threadId === threadId ? { ...rec, contactId } : null;
  }

  private async save(contactId: string, rec: TopicRecord): Promise<void> {
    this.cache.delete(contactId);
    await this.kv.kvSet(TOPIC_NS, contactId, JSON.stringify(rec));
    this.cache.set(contactId, rec);
    await this.kv.kvSet(THREAD_NS, String(rec.threadId), contactId);
  }

  /** The contact's topic, made or reopened for a handoff of `conversationKey`; answers whether it is new. */
  async open(contactId: string, name: string, conversationKey: string): Promise<{ topic: TopicRecord; created: boolean }> {
    const title = topicName(name);
    const known = await this.get(contactId);
    if (!known) {
      const threadId = await this.api.createTopic(title);
      const topic = { threadId, name: title, conversationKey, active: true, closed: false };
      await this.save(contactId, topic);
      return { topic, created: true };
    }
    if (known.closed) await this.api.reopenTopic(known.threadId).catch(() => undefined); // gone: the send recreates it
    if (known.name !== title) await this.api.editTopic(known.threadId, title).catch(() => undefined);
    const topic = { ...known, name: title, conversationKey, active: true, closed: false };
    await this.save(contactId, topic);
    return { topic, created: false };
  }

  /** Telegram says the topic is gone: a new one under the same name, and the old id forgotten. */
  async recreate(contactId: string): Promise<number | undefined> {
    const known = await this.get(contactId);
    if (!known) return undefined;
    const threadId = await this.api.createTopic(known.name);
    await this.kv.kvDelete(THREAD_NS, String(known.threadId));
    await this.save(contactId, { ...known, threadId, closed: false });
    return threadId;
  }

  async setActive(contactId: string, active: boolean, closed = false): Promise<TopicRecord | null> {
    const known = await this.get(contactId);
    if (!known) return null;
    const rec = { ...known, active, closed };
    await this.save(contactId, rec);
    return rec;
  }
}

export function topicName(name: string): string {
  const clean = name.replace(/\s+/g, " ").trim();
  return clean.length > MAX_NAME ? `${clean.slice(0, MAX_NAME - 1)}…` : clean;
}

function parse(raw: string | null): TopicRecord | null {
  if (raw === null) return null;
  try {
    const r = TopicRecord.safeParse(JSON.parse(raw));
    return r.success ? r.data : null;
  } catch {
    return null;
  }
}
