/**
 * How much one web-chat customer and one address may ask for. A person types about
 * a message a second; an office or a mobile carrier puts many people behind one
 * address, so the address limits are generous and the session limits are tight.
 * Counted in the store's key-value counters, so instances on Redis share them.
 */
export interface WebLimits {
  /** messages one session may post per window */
  messagesPerSession: number;
  /** messages one address may post per window (all its sessions together) */
  messagesPerAddress: number;
  /** new sessions one address may open per window */
  sessionsPerAddress: number;
  /** page loads (the page, its script and style) one address may make per window */
  pagesPerAddress: number;
  /** polls one session may start per window (a page polls once per reply or 25 s) */
  pollsPerSession: number;
  windowMs: number;
  /** long-polls held open at once */
  openPollsPerSession: number;
  openPollsPerAddress: number;
}

export const WEB_LIMITS: WebLimits = {
  messagesPerSession: 20,
  messagesPerAddress: 300,
  sessionsPerAddress: 60,
  pagesPerAddress: 600,
  pollsPerSession: 60,
  windowMs: 10_000,
  openPollsPerSession: 3,
  openPollsPerAddress: 500,
};

/** Open long-polls per key in this process (they hold sockets here, so a local count is the right one). */
export class OpenCount {
  private readonly open = new Map<string, number>();
  /** takes a slot under `key` unless `max` are taken; answers whether it did */
  take(key: string, max: number): boolean {
    const n = this.open.get(key) ?? 0;
    if (n >= max) return false;
    this.open.set(key, n + 1);
    return true;
  }
  give(key: string): void {
    const n = (this.open.get(key) ?? 1) - 1;
    if (n <= 0) this.open.delete(key);
    else this.open.set(key, n);
  }
}
