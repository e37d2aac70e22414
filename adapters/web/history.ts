import type { Touchpoint } from "../../src/model/domain.ts";
import type { RenderedPart } from "../../src/model/outbound.ts";
import type { SentAfterPort } from "../../src/store/sent-after.ts";
import { SENT_AFTER_MAX } from "../../src/store/sent-after.ts";
import type { PhotoFiles } from "../../src/photos/files.ts";
import { withPhotoUrl } from "./photos.ts";

/** A reply as the page gets it: the rendered part and its place in the chat. */
export interface WebReply extends RenderedPart {
  seq: number;
}
/** One line of the conversation when the page is (re)opened: the customer's own too. */
export type HistoryItem = ({ from: "shop" } & WebReply) | { from: "me"; text: string };

export interface HistoryReads extends SentAfterPort {
  getConversation(key: string): Promise<{ contactId: string } | null>;
  listTouchpoints(contactId: string, limit?: number): Promise<Touchpoint[]>;
}

/** what the customer wrote or pressed: the page's greeting (/start) is not theirs to see */
function ownLine(tp: Touchpoint, key: string): string | undefined {
  if (tp.conversationKey !== key || (tp.kind !== "message_in" && tp.kind !== "button")) return undefined;
  // a shared phone is logged as "📞 <as typed>": the page showed what was typed
  const text = tp.summary.replace(/^📞 /u, "").trim();
  if (text === "" || /^\/start\b/.test(text)) return undefined;
  return text;
}

export async function replies(store: SentAfterPort, key: string, after: number, files?: PhotoFiles): Promise<WebReply[]> {
  const items = await store.listSentAfter(key, after, SENT_AFTER_MAX);
  return Promise.all(items.map((i) => withPhotoUrl({ seq: i.seq, ...i.part }, files)));
}

/**
 * The whole conversation for a page that opens: the shop's sent replies and the
 * customer's messages and taps (from the journey log), in the order they happened
 * (a message comes before the replies its turn produced). Read once per page load;
 * the long-poll after it reads only new replies.
 */
export async function history(store: HistoryReads, key: string, files?: PhotoFiles): Promise<{ history: HistoryItem[]; messages: WebReply[] }> {
  const conv = await store.getConversation(key);
  const [sent, touchpoints] = await Promise.all([
    store.listSentAfter(key, -1, SENT_AFTER_MAX),
    conv ? store.listTouchpoints(conv.contactId, 2000) : Promise.resolve([]),
  ]);
  const lines: { at: number; order: number; item: HistoryItem }[] = [];
  touchpoints.forEach((tp, i) => {
    const text = ownLine(tp, key);
    if (text !== undefined) lines.push({ at: tp.at, order: i, item: { from: "me", text } });
  });
  const shown = await Promise.all(sent.map((o) => withPhotoUrl({ seq: o.seq, ...o.part }, files)));
  sent.forEach((o, i) => lines.push({ at: o.createdAt, order: 1_000_000 + i, item: { from: "shop", ...shown[i]! } }));
  lines.sort((a, b) => a.at - b.at || a.order - b.order);
  return { history: lines.map((l) => l.item), messages: shown };
}
