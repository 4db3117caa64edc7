/**
 * The `_unique_id`s of messages already processed, last N kept (oslo keeps 16;
 * we keep more because our handlers are slower and several may be in flight).
 * A Map iterates in insertion order, so deleting and re-inserting on a hit
 * makes the first key the least recently used one.
 */
export class RecentIds {
  private readonly ids = new Map<string, true>();
  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError('RecentIds capacity must be a positive integer');
  }

  has(id: string): boolean {
    if (!this.ids.has(id)) return false;
    this.ids.delete(id);
    this.ids.set(id, true);
    return true;
  }

  add(id: string): void {
    this.ids.delete(id);
    this.ids.set(id, true);
    while (this.ids.size > this.capacity) {
      const oldest = this.ids.keys().next();
      if (oldest.done) break;
      this.ids.delete(oldest.value);
    }
  }

  get size(): number {
    return this.ids.size;
  }
}
