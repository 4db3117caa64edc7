/**
 * Bounds the requests in flight towards FreeIPA (design B7: a boot storm
 * must not open hundreds of connections to one Apache). Waiters are served
 * earliest deadline first, and give up at their own deadline, so a queued
 * join fails with a timeout instead of being served after Nova stopped
 * waiting. Earliest deadline first (rather than FIFO) lets a join's second
 * round trip (its write) go before reads of joins that arrived later, which
 * is what keeps the tail of a boot storm short; equal deadlines stay FIFO.
 */
import { timeoutError } from './deadline.js';

interface Waiter {
  readonly deadline: number;
  readonly grant: () => void;
  readonly fail: (error: unknown) => void;
}

export type Release = () => void;

export class Semaphore {
  #available: number;
  readonly #queue: Waiter[] = [];

  constructor(readonly size: number) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`semaphore size must be a positive integer, got ${size}`);
    this.#available = size;
  }

  /** Permits in use. */
  get inFlight(): number {
    return this.size - this.#available;
  }

  get queued(): number {
    return this.#queue.length;
  }

  /** Resolves with a release function once a permit is free; rejects at the deadline or on abort. */
  acquire(deadline: number, signal?: AbortSignal): Promise<Release> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.#available > 0 && this.#queue.length === 0) {
      this.#available -= 1;
      return Promise.resolve(this.#releaser());
    }
    return new Promise<Release>((resolve, reject) => {
      const cleanup = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        const index = this.#queue.indexOf(waiter);
        if (index >= 0) this.#queue.splice(index, 1);
      };
      const waiter: Waiter = {
        deadline,
        grant: () => {
          cleanup();
          resolve(this.#releaser());
        },
        fail: (error) => {
          cleanup();
          reject(error);
        },
      };
      const onAbort = () => waiter.fail(signal?.reason);
      const timer = setTimeout(
        () => waiter.fail(timeoutError('waiting for a free FreeIPA connection slot', deadline)),
        Math.max(0, deadline - Date.now()),
      );
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#enqueue(waiter);
    });
  }

  /** Keeps the queue sorted by deadline; a new waiter goes after others with the same deadline. */
  #enqueue(waiter: Waiter): void {
    let low = 0;
    let high = this.#queue.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (this.#queue[mid]!.deadline <= waiter.deadline) low = mid + 1;
      else high = mid;
    }
    this.#queue.splice(low, 0, waiter);
  }

  /** A release function that only counts once, so a double release cannot inflate the bound. */
  #releaser(): Release {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.#queue[0];
      if (next) next.grant();
      else this.#available += 1;
    };
  }
}
