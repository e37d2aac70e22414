/**
 * STAFF_API_TOKEN opens every customer's history, so the service refuses to start
 * with one that is short, a documented placeholder, or plainly not random.
 */
export const STAFF_TOKEN_MIN_LENGTH = 32;

/** placeholders this repository has shown in docs and examples (never valid) */
const DOCUMENTED = ["change-me-to-a-long-random-string", "replace-with-32-or-more-random-characters"];
const PLACEHOLDER = /change[-_ ]?me|replace[-_ ]?(me|with)|placeholder|your[-_ ]?(staff[-_ ]?)?token|example|xxxxxx/i;

const HOW = "make one with: openssl rand -hex 32";

/** why `token` may not be used, or undefined when it may */
export function staffTokenProblem(token: string): string | undefined {
  if (DOCUMENTED.includes(token) || PLACEHOLDER.test(token)) {
    return `is a placeholder from the documentation, not a secret; ${HOW}`;
  }
  if (token.length < STAFF_TOKEN_MIN_LENGTH) {
    return `must be at least ${STAFF_TOKEN_MIN_LENGTH} characters (got ${token.length}); ${HOW}`;
  }
  if (new Set(token).size < 8) return `is not random enough (only ${new Set(token).size} different characters); ${HOW}`;
  return undefined;
}
