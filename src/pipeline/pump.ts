/**
 * A claim-and-handle loop shared by the worker (inbound journal) and the sender
 * (outbox): it claims as many items as it has free slots and handles them
 * concurrently. Work also arrives already leased — from the write that created it
 * (offer), or as the follow-up a handler's own write leased (the chat's next
 * message) — so on the busy path nobody pays a claim round trip. It claims again
 * when woken, when a handler could not say what follows, or when an earlier claim
 * left work behind for lack of slots; a poll interval covers work from another
 * process (several instances on one Redis) and leases that ran out.
 */
export interface PumpOptions<T> {
  name: string;
  concurrency: number;
  pollMs: number;
  claim(max: number): Promise<T[]>;
  /**
   * handle one item; answer the follow-up items its write leased to us, or undefined
   * when it cannot tell what became claimable (a failure, a retry): the pump claims
   */
  handle(item: T): Promise<T[] | undefined>;
  onError(err: unknown, item?: T): void;
}

export class Pump<T> {
  private running = 0;
  private stopped = true;
  private claiming = false;
  private again = false;
  /** a claim may find work: woken while full, or the last claim filled every slot */
  private backlog = false;
  private timer: NodeJS.Timeout | undefined;
  private idle: (() => void)[] = [];
  private quietWaiters: (() => void)[] = [];
  /** leased to us on the way while every slot was busy: handled as slots free up */
  private readonly waiting: T[] = [];

  constructor(private readonly opts: PumpOptions<T>) {}

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.schedulePoll();
    this.wake();
  }

  /** Stop claiming; resolves when the items in hand (running or waiting for a slot) are done. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    if (this.running === 0 && this.waiting.length === 0 && !this.claiming) return;
    await new Promise<void>((resolve) => this.idle.push(resolve));
  }

  /** resolves when nothing is in hand: no claim on its way, nothing running or waiting for a slot */
  quiet(): Promise<void> {
    if (this.isQuiet()) return Promise.resolve();
    return new Promise<void>((resolve) => this.quietWaiters.push(resolve));
  }

  private isQuiet(): boolean {
    return this.running === 0 && this.waiting.length === 0 && !this.claiming;
  }

  /** whether leasing follow-up work to this pump makes sense (it is not stopping) */
  get accepting(): boolean {
    return !this.stopped;
  }

  /** free slots, for a write that can lease work to us on the way */
  free(): number {
    return this.stopped ? 0 : Math.max(0, this.opts.concurrency - this.running - this.waiting.length);
  }

  /**
   * take items that were leased to us elsewhere (an enqueue, a commit); beyond
   * `concurrency` they wait for a slot, so no more than that are ever handled at once
   * (for the sender: no more than that many sends in flight when a process dies)
   */
  offer(items: readonly T[]): void {
    for (const item of items) {
      if (this.running < this.opts.concurrency) this.run(item);
      else this.waiting.push(item);
    }
  }

  wake(): void {
    if (this.stopped) return;
    this.backlog = true;
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
        const free = this.opts.concurrency - this.running - this.waiting.length;
        if (free <= 0 || this.stopped) break;
        this.backlog = false;
        let items: T[] = [];
        try {
          items = await this.opts.claim(free);
        } catch (err) {
          this.opts.onError(err);
          break;
        }
        // slots may have been taken by offers while the claim was on its way
        this.offer(items);
        if (items.length === free) this.again = this.backlog = true;
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
      .then(
        (next) => next,
        (err: unknown) => {
          this.opts.onError(err, item);
          return undefined;
        },
      )
      .then((next) => {
        this.running--;
        const queued = this.waiting.shift();
        if (queued !== undefined) this.run(queued);
        if (next === undefined) this.wake();
        else {
          this.offer(next);
          if (this.backlog) this.wake();
        }
        this.settle();
      });
  }

  private settle(): void {
    if (!this.isQuiet()) return;
    for (const resolve of this.quietWaiters.splice(0)) resolve();
    if (this.stopped) for (const resolve of this.idle.splice(0)) resolve();
  }
}
