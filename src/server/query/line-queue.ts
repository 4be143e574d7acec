/**
 * Turns pushes into pulls: agents answer when they do (the Fleet calls back), the consumer of a
 * query's lines iterates when it is ready. Lines pushed while the consumer is busy wait here, in
 * order; `end` lets the iteration finish once they are taken, `fail` throws after them.
 *
 * Unbounded, as the callback chain it replaces was: the Fleet has no way to slow an agent down,
 * and every row waiting here is also held for the query's final result, so the queue adds one
 * entry per answer, not a copy of the rows. What bounds it is what bounds a result: the agents'
 * rows quota (agent-quota.ts) and the query's timeout.
 *
 * @example
 * const queue = new LineQueue<string>();
 * produce(queue.push).then(queue.end, queue.fail);
 * for await (const line of queue) write(line);
 */
export class LineQueue<T> implements AsyncIterable<T> {
  private items: T[] = [];
  private closed: { error?: unknown } | undefined;
  private wake: (() => void) | undefined;

  /** Queues a line; after `end` or `fail` the iteration is over, and it is dropped. */
  readonly push = (item: T): void => {
    if (this.closed) return;
    this.items.push(item);
    this.wake?.();
  };

  readonly end = (): void => {
    this.closed ??= {};
    this.wake?.();
  };

  readonly fail = (error: unknown): void => {
    this.closed ??= { error };
    this.wake?.();
  };

  async *[Symbol.asyncIterator](): AsyncGenerator<T, void, undefined> {
    for (;;) {
      if (this.items.length) {
        // Taken all at once: a thousand agents' answers are not shifted off one by one.
        const taken = this.items;
        this.items = [];
        yield* taken;
        continue;
      }
      if (this.closed) {
        if ('error' in this.closed) throw this.closed.error;
        return;
      }
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = undefined;
    }
  }
}
