/**
 * What the logs must never hold, by rule rather than by list of routes: query
 * values whose name says secret (tokens, secrets, signatures, sessions, codes,
 * challenges, hub.verify_token…), anything that looks like a phone number, the
 * session ids and phones inside conversation keys (web:<session>, whatsapp:<phone>),
 * and every header but a few harmless ones.
 */
const SECRET_NAME = /token|secret|sig|session|sid|key|pass|auth|code|challenge|phone|otp|hash/i;
const PHONE = /\+?\d[\d\s()-]{8,}\d/g;
const CONVERSATION = /\b(web|whatsapp|max)(:|%3A)([A-Za-z0-9_.%-]+)/gi;

const CENSOR = "[redacted]";

/** a value of a field that is not itself secret, with phones and private keys masked */
export function redactText(s: string): string {
  return s.replace(CONVERSATION, (_m, ch: string, sep: string) => `${ch}${sep}${CENSOR}`).replace(PHONE, "[phone]");
}

/** path and query as they may be logged */
export function redactUrl(url: string): string {
  const q = url.indexOf("?");
  const path = redactText(q === -1 ? url : url.slice(0, q));
  if (q === -1) return path;
  const parts = url
    .slice(q + 1)
    .split("&")
    .filter((p) => p !== "")
    .map((pair) => {
      const eq = pair.indexOf("=");
      const name = eq === -1 ? pair : pair.slice(0, eq);
      let decoded = name;
      try {
        decoded = decodeURIComponent(name.replace(/\+/g, " "));
      } catch {
        /* a broken escape: judge the raw name */
      }
      if (eq === -1) return name.slice(0, 40);
      return SECRET_NAME.test(decoded) ? `${name.slice(0, 40)}=${CENSOR}` : `${name.slice(0, 40)}=${redactText(pair.slice(eq + 1)).slice(0, 80)}`;
    });
  return `${path}?${parts.join("&")}`;
}

/** the headers worth a log line: everything else (cookies, authorization, signatures) is left out */
const SAFE_HEADERS = ["user-agent", "content-type", "content-length"];
export function safeHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const h of SAFE_HEADERS) {
    const v = headers[h];
    if (typeof v === "string") out[h] = redactText(v).slice(0, 120);
  }
  return out;
}

/** pino redact paths: secrets that reach a log object by name */
export const REDACT_PATHS = [
  "req.headers.authorization",
  "req.headers.cookie",
  'req.headers["x-telegram-bot-api-secret-token"]',
  'req.headers["x-hub-signature-256"]',
  'req.headers["x-max-bot-api-secret"]',
  'res.headers["set-cookie"]',
  "*.token",
  "*.accessToken",
  "*.appSecret",
  "*.secret",
  "*.phone",
  "*.access_token",
  "*.session",
  "*.verifyToken",
  '*["hub.verify_token"]',
];
