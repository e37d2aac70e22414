/**
 * Wakes the long-polls of a chat when one of its replies has been sent. A poll
 * that waits costs a map entry and a timer, nothing else: no re-reading. Signals
 * come from the event bus ("sent" events, published by whichever instance sent the
 * reply) and from this process's own sender (`recorded`), whichever is first.
 */
export interface SentSignal {
  kind: string;
  conversationKey?: string;
}
/** the part of the event bus (src/events/bus.ts) the web chat listens to */
export interface SentEvents {
  subscribe(listener: (e: SentSignal) => void): () => void;
}

export class Waiters {
  private readonly byChat = new Map<string, Set<() => void>>();
  private closed = false;
  private unsubscribe: (() => void) | undefined;

  constructor(events?: SentEvents) {
    this.unsubscribe = events?.subscribe((e) => {
      if (e.kind === "sent" && e.conversationKey?.startsWith("web:")) this.wake(e.conversationKey);
    });
  }

  /** calls `fn` once, when `key` is woken, on close, or after `ms`; answers a cancel */
  wait(key: string, ms: number, fn: () => void): () => void {
    if (this.closed) {
      fn();
      return () => undefined;
    }
    let set = this.byChat.get(key);
    if (!set) this.byChat.set(key, (set = new Set()));
    const chat = set;
    const done = () => {
      clearTimeout(timer);
      chat.delete(done);
      if (chat.size === 0 && this.byChat.get(key) === chat) this.byChat.delete(key);
      fn();
    };
    const timer = setTimeout(done, ms);
    chat.add(done);
    return () => {
      clearTimeout(timer);
      chat.delete(done);
      if (chat.size === 0 && this.byChat.get(key) === chat) this.byChat.delete(key);
    };
  }

  wake(key: string): void {
    const set = this.byChat.get(key);
    if (set) for (const done of [...set]) done();
  }

  /** ends every wait now (shutdown: close() waits for in-flight requests) */
  close(): void {
    this.closed = true;
    this.unsubscribe?.();
    for (const key of [...this.byChat.keys()]) this.wake(key);
  }
}
