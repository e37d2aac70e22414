/**
 * A claim-and-handle loop shared by the worker (inbound journal), the sender
 * (outbox) and the scheduler (timers): it claims as many items as it has free
 * slots, handles them concurrently, and claims again as soon as a slot frees or
 * someone calls wake(). A poll interval covers work that arrives from another
 * process (several instances on one Redis).
 */
export interface PumpOptions<T> {
  name: string;
  concurrency: number;
  pollMs: number;
  claim(max: number): Promise<T[]>;
  handle(item: T): Promise<void>;
  onError(err: unknown, item?: T): void;
}

export class Pump<T> {
  private running = 0;
  private stopped = true;
  private claiming = false;
  private again = false;
  private timer: NodeJS.Timeout | undefined;
  private idle: (() => void)[] = [];

  constructor(private readonly opts: PumpOptions<T>) {}

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.schedulePoll();
    this.wake();
  }

  /** Stop claiming; resolves when the items in hand are done. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    if (this.running === 0 && !this.claiming) return;
    await new Promise<void>((resolve) => this.idle.push(resolve));
  }

  wake(): void {
    if (this.stopped) return;
    if (this.claiming) {
      this.again = true;
      return;
    }
    void this.fill();
  }

  private schedulePoll(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.wake();
      this.schedulePoll();
    }, this.opts.pollMs);
    this.timer.unref();
  }

  private async fill(): Promise<void> {
    this.claiming = true;
    try {
      do {
        this.again = false;
        const free = this.opts.concurrency - this.running;
        if (free <= 0 || this.stopped) break;
        let items: T[] = [];
        try {
          items = await this.opts.claim(free);
        } catch (err) {
          this.opts.onError(err);
          break;
        }
        for (const item of items) this.run(item);
        if (items.length === free) this.again = true;
      } while (this.again && !this.stopped);
    } finally {
      this.claiming = false;
      this.settle();
    }
  }

  private run(item: T): void {
    this.running++;
    this.opts
      .handle(item)
      .catch((err) => this.opts.onError(err, item))
      .finally(() => {
        this.running--;
        this.settle();
        this.wake();
      });
  }

  private settle(): void {
    if (this.stopped && this.running === 0 && !this.claiming) {
      for (const resolve of this.idle.splice(0)) resolve();
    }
  }
}
