/**
 * Collects items from many concurrent producers (Kafka partitions) into one batch, flushed when
 * it reaches `maxItems` or when the oldest item has waited `maxWaitMs`. Each `add` resolves once
 * the batch holding its items has been processed, so a caller can commit offsets only after its
 * own items are done. One flush runs at a time, which keeps memory bounded by what callers hold.
 *
 * `maxWaitMs` 0 flushes once the current turn of the event loop is over (setImmediate): the items
 * added by every handler that one I/O event started (kafkajs starts the handlers of all the
 * partitions of one fetch response together) share a batch, and nothing waits for a timer.
 */
export class MicroBatcher<T> {
  private pending: T[] = [];
  private waiters: { resolve: () => void; reject: (error: unknown) => void }[] = [];
  private timer: NodeJS.Timeout | NodeJS.Immediate | undefined;
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly process: (items: T[]) => Promise<void>,
    private readonly options: { readonly maxItems: number; readonly maxWaitMs: number },
  ) {}

  /** Queues items; resolves when they were processed, rejects if their batch failed. */
  add(items: readonly T[]): Promise<void> {
    if (items.length === 0) return Promise.resolve();
    const done = new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
    this.pending.push(...items);
    if (this.pending.length >= this.options.maxItems) this.flush();
    else this.timer ??= this.options.maxWaitMs > 0 ? setTimeout(() => void this.flush(), this.options.maxWaitMs) : setImmediate(() => void this.flush());
    return done;
  }

  /** Processes whatever is pending now; resolves when every batch so far is done. */
  flush(): Promise<void> {
    if (this.timer !== undefined) {
      if (this.options.maxWaitMs > 0) clearTimeout(this.timer as NodeJS.Timeout);
      else clearImmediate(this.timer as NodeJS.Immediate);
    }
    this.timer = undefined;
    if (this.pending.length > 0) {
      const items = this.pending;
      const waiters = this.waiters;
      this.pending = [];
      this.waiters = [];
      this.chain = this.chain.then(() =>
        this.process(items).then(
          () => waiters.forEach((w) => w.resolve()),
          (error: unknown) => waiters.forEach((w) => w.reject(error)),
        ),
      );
    }
    return this.chain;
  }
}
