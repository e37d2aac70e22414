import type { Awaiting } from "../model/domain.ts";
import type { InboundMessage } from "../model/inbound.ts";
import type { Choice } from "../model/outbound.ts";
import { matchesId } from "../render/ids.ts";

let lastNormalized = { input: "", output: "" };

/** Lower-case, ё→е, punctuation and extra spaces gone: what word matching compares. */
export function normalize(s: string): string {
  // one message is checked against several word lists in a row: normalise it once
  if (s === lastNormalized.input) return lastNormalized.output;
  const output = s
    .toLowerCase()
    .replace(/ё/g, "е")
    .replace(/[^\p{L}\p{N}\s/_-]+/gu, " ")
    .replace(/\s+/g, " ")
    .trim();
  lastNormalized = { input: s, output };
  return output;
}

/**
 * Word lists come from the loaded bundle, which is never changed in place, so each
 * list is normalised once; keyed by the list itself, a reloaded bundle starts afresh.
 */
const commandSets = new WeakMap<readonly string[], ReadonlySet<string>>();
const stemLists = new WeakMap<readonly string[], readonly string[]>();

function commandSet(words: readonly string[]): ReadonlySet<string> {
  let set = commandSets.get(words);
  if (!set) commandSets.set(words, (set = new Set(words.map(normalize))));
  return set;
}

function normalizedStems(stems: readonly string[]): readonly string[] {
  let list = stemLists.get(stems);
  if (!list) stemLists.set(stems, (list = stems.map(normalize)));
  return list;
}

/** Whole message equals one of the words (commands like "меню", "/stop"). */
export function isCommand(text: string | undefined, words: readonly string[]): boolean {
  if (!text) return false;
  return commandSet(words).has(normalize(text));
}

/** Any word of the message starts with one of the stems ("доставк" matches "доставка?"). */
export function mentions(text: string | undefined, stems: readonly string[]): boolean {
  if (!text) return false;
  const t = normalize(text);
  const words = t.split(" ");
  return normalizedStems(stems).some((s) => (s.includes(" ") ? t.includes(s) : words.some((w) => w.startsWith(s))));
}

/**
 * Which offered choice a message means: the pressed button, the label typed out,
 * or the number of the line in a numbered-text fallback. Choices whose labels are
 * numbers (scores) match the number itself, so "0" on an NPS scale is zero.
 */
export function matchChoice(choices: Choice[], msg: Pick<InboundMessage, "buttonId" | "text">, numbered = true): Choice | undefined {
  if (msg.buttonId !== undefined) {
    const byId = choices.find((c) => matchesId(c.id, msg.buttonId!));
    if (byId) return byId;
  }
  const raw = msg.text?.trim();
  if (!raw) return undefined;
  const t = normalize(raw);
  const byLabel = choices.find((c) => normalize(c.label) === t || c.id.toLowerCase() === t);
  if (byLabel) return byLabel;
  if (/^\d{1,2}$/.test(t)) {
    const numericLabels = choices.every((c) => /^\d{1,2}$/.test(c.label.trim()));
    // a digit is a choice only where the customer saw numbered lines
    if (!numericLabels && numbered) return choices[Number(t) - 1];
  }
  return undefined;
}

/** Digits only; a Russian 8XXXXXXXXXX becomes 7XXXXXXXXXX. */
export function normalizePhone(input: string): string | undefined {
  const cleaned = input.replace(/[\s()+\-.]/g, "");
  if (!/^\d{10,15}$/.test(cleaned)) return undefined;
  if (cleaned.length === 11 && cleaned.startsWith("8")) return `7${cleaned.slice(1)}`;
  if (cleaned.length === 10 && cleaned.startsWith("9")) return `7${cleaned}`;
  return cleaned;
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export type Answer = { ok: true; value: string | number; choice?: Choice } | { ok: false };

/** Interpret a message against what the conversation is waiting for. */
export function interpret(
  awaiting: Awaiting,
  msg: Pick<InboundMessage, "buttonId" | "text" | "phone">,
  bounds: { min?: number; max?: number } = {},
): Answer {
  if (awaiting.choices && awaiting.choices.length > 0) {
    const choice = matchChoice(awaiting.choices, msg, awaiting.numbered === true);
    if (choice) {
      if (awaiting.kind === "number") {
        const n = Number(choice.id);
        return Number.isFinite(n) ? { ok: true, value: n, choice } : { ok: true, value: choice.id, choice };
      }
      return { ok: true, value: choice.id, choice };
    }
    if (awaiting.kind === "choice") return { ok: false };
  }
  const text = msg.text?.trim() ?? "";
  switch (awaiting.kind) {
    case "text":
      return text.length > 0 ? { ok: true, value: text.slice(0, 2000) } : { ok: false };
    case "number": {
      const n = Number(text.replace(/\s/g, "").replace(",", "."));
      if (text === "" || !Number.isFinite(n)) return { ok: false };
      if (bounds.min !== undefined && n < bounds.min) return { ok: false };
      if (bounds.max !== undefined && n > bounds.max) return { ok: false };
      return { ok: true, value: n };
    }
    case "phone": {
      // A typed number wins; a shared contact (no text) counts as the answer too.
      const phone = normalizePhone(text) ?? (msg.phone && !text ? normalizePhone(msg.phone) : undefined);
      return phone ? { ok: true, value: phone } : { ok: false };
    }
    case "email":
      return EMAIL.test(text) ? { ok: true, value: text.toLowerCase() } : { ok: false };
    default:
      return { ok: false };
  }
}

/** Deep-link payloads: "/start src_gym_flyer", VK ref, or a first message that is only a payload. */
const PAYLOAD = /^(src|ref|aud|promo)_[A-Za-z0-9_-]{1,60}$/;

export function deepLinkOf(msg: Pick<InboundMessage, "source" | "text">): string | undefined {
  if (msg.source && PAYLOAD.test(msg.source)) return msg.source;
  const text = msg.text?.trim() ?? "";
  const start = /^\/start\s+(\S+)$/.exec(text);
  if (start && PAYLOAD.test(start[1]!)) return start[1];
  if (PAYLOAD.test(text)) return text;
  if (msg.source && /^[A-Za-z0-9_-]{1,64}$/.test(msg.source)) return `src_${msg.source}`.slice(0, 64);
  return undefined;
}
