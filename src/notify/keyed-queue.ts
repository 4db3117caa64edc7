/**
 * Runs tasks one at a time per key, in arrival order, and tasks of different
 * keys in parallel. The listener keys on the instance (or floating IP), so
 * that a create and an update of one instance delivered together are applied
 * in the order Nova sent them, while other instances proceed. The map only
 * holds keys with work queued, and prefetch bounds that work.
 */
export class KeyedQueue {
  private readonly tails = new Map<string, Promise<void>>();

  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const result = previous.then(task);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }

  get size(): number {
    return this.tails.size;
  }
}
