/**
 * Where a customer came from (InboundMessage.source), one rule for every channel: the
 * alphabet and length of Telegram's /start deep-link payload (Bot API docs), so a
 * campaign's source reads the same whichever platform the customer opened.
 * MAX's start payload may be longer (M8), VK's ref and WhatsApp's referral are free
 * text: they are checked or cleaned down to this rule.
 */
export const SOURCE_MAX_LENGTH = 64;
const SOURCE = /^[A-Za-z0-9_-]{1,64}$/;

/** a start payload that is a source as given, or undefined */
export function startPayloadSource(payload: string | undefined): string | undefined {
  return payload !== undefined && SOURCE.test(payload) ? payload : undefined;
}

const START = /^\/start(?:\s+(\S+))?\s*$/;
/** Telegram addresses a command to one bot in a group: /start@shop_bot */
const START_WITH_MENTION = /^\/start(?:@[A-Za-z0-9_]+)?(?:\s+(\S+))?\s*$/;

/**
 * `/start [payload]` typed or sent by a deep link: null when the text is not that
 * command, else the payload as a source (undefined when absent or not a source).
 */
export function readStartCommand(text: string, opts: { mention?: boolean } = {}): { source: string | undefined } | null {
  const start = (opts.mention ? START_WITH_MENTION : START).exec(text);
  return start ? { source: startPayloadSource(start[1]) } : null;
}

/** free text cleaned to a source by dropping what the alphabet lacks (VK's ref) */
export function sourceByDropping(raw: string | undefined): string | undefined {
  if (!raw) return undefined;
  const clean = raw.replace(/[^A-Za-z0-9_-]/g, "").slice(0, SOURCE_MAX_LENGTH);
  return clean === "" ? undefined : clean;
}

/** free text cleaned to a source with `_` for every run of other characters (WhatsApp's referral) */
export function sourceByUnderscoring(raw: string): string | undefined {
  const s = raw
    .replace(/[^A-Za-z0-9_-]+/g, "_")
    .replace(/_+/g, "_")
    .replace(/^_+|_+$/g, "")
    .slice(0, SOURCE_MAX_LENGTH);
  return s === "" ? undefined : s;
}
