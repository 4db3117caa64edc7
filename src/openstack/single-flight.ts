/**
 * Coalesces concurrent calls for the same key into one: during a boot storm
 * many join requests carry the same Nova token or ask for the same project,
 * and only one request per key should reach Keystone. Failures are shared by
 * the callers that waited, and never remembered.
 */
export class SingleFlight<V> {
  private readonly pending = new Map<string, Promise<V>>();

  run(key: string, work: () => Promise<V>): Promise<V> {
    const existing = this.pending.get(key);
    if (existing) return existing;
    const promise = (async () => {
      try {
        return await work();
      } finally {
        this.pending.delete(key);
      }
    })();
    this.pending.set(key, promise);
    return promise;
  }

  get size(): number {
    return this.pending.size;
  }
}
