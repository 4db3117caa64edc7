/**
 * Bounds the requests in flight towards FreeIPA (design B7: a boot storm
 * must not open hundreds of connections to one Apache), and decides what
 * waits and what is refused when FreeIPA cannot keep up.
 *
 * Order: priority first (a first join before a repeat), then earliest
 * deadline (a join's second round trip goes before reads of joins that
 * arrived later, which keeps the tail of a boot storm short), then FIFO.
 *
 * Shedding: a slot is held for about the time FreeIPA takes to answer, so a
 * waiter with `ahead` waiters before it can expect a slot after
 * (ahead + 1) x hold / size. When that wait plus one more call does not fit
 * before the waiter's deadline, it is refused at once with
 * FreeIpaSaturatedError: the caller answers 503 now instead of timing out
 * where its own caller (Nova) can no longer use the answer. A new waiter
 * that goes ahead of queued ones (higher priority) may push them past their
 * deadlines; those are refused then, lowest priority first, since they are
 * at the back of the queue. A waiter whose turn comes when its deadline no
 * longer leaves time for one call is refused then. Until a first call has been timed nothing is
 * shed (there is no estimate yet); waiters still give up at their deadline.
 */
import { timeoutError } from './deadline.js';
import { FreeIpaSaturatedError } from './errors.js';

/** Lower is served first. */
export const PRIORITY = { normal: 0, low: 1 } as const;
export type Priority = (typeof PRIORITY)[keyof typeof PRIORITY];

interface Waiter {
  readonly priority: Priority;
  readonly deadline: number;
  readonly since: number;
  readonly grant: () => void;
  readonly fail: (error: unknown) => void;
}

export type Release = () => void;

/** What the queue looks like, for metrics. */
export interface SlotStats {
  readonly size: number;
  readonly inFlight: number;
  readonly queued: number;
  readonly queuedByPriority: Readonly<Record<Priority, number>>;
  /** Refused because the expected wait did not fit the deadline, by priority. */
  readonly shed: Readonly<Record<Priority, number>>;
  /** The current estimate of how long a slot is held, ms (0: no estimate yet). */
  readonly holdMs: number;
}

export interface SemaphoreOptions {
  /** Called when a waiter gets a slot, with how long it waited. */
  readonly onWait?: (waitMs: number, priority: Priority) => void;
  readonly now?: () => number;
}

/** Weight of the newest hold time in the running estimate: about the last ten calls count. */
const HOLD_WEIGHT = 0.1;
/** The estimate is a mean; a call's own time is judged at half as much again, so a slower one still fits. */
const CALL_MARGIN = 1.5;

export class Semaphore {
  #available: number;
  readonly #queue: Waiter[] = [];
  readonly #shed: Record<Priority, number> = { 0: 0, 1: 0 };
  readonly #onWait: ((waitMs: number, priority: Priority) => void) | undefined;
  readonly #now: () => number;
  #holdMs = 0;

  constructor(readonly size: number, options: SemaphoreOptions = {}) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`semaphore size must be a positive integer, got ${size}`);
    this.#available = size;
    this.#onWait = options.onWait;
    this.#now = options.now ?? Date.now;
  }

  /** Permits in use. */
  get inFlight(): number {
    return this.size - this.#available;
  }

  get queued(): number {
    return this.#queue.length;
  }

  get stats(): SlotStats {
    const queuedByPriority: Record<Priority, number> = { 0: 0, 1: 0 };
    for (const w of this.#queue) queuedByPriority[w.priority] += 1;
    return { size: this.size, inFlight: this.inFlight, queued: this.#queue.length, queuedByPriority, shed: { ...this.#shed }, holdMs: this.#holdMs };
  }

  /**
   * Resolves with a release function once a permit is free; rejects with
   * FreeIpaSaturatedError when the wait cannot fit before the deadline, with
   * a timeout at the deadline, or with the signal's reason on abort.
   */
  acquire(deadline: number, signal?: AbortSignal, priority: Priority = PRIORITY.normal): Promise<Release> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.#available > 0 && this.#queue.length === 0) {
      this.#available -= 1;
      return Promise.resolve(this.#releaser());
    }
    const since = this.#now();
    const index = this.#position(priority, deadline);
    if (!this.#fits(index, deadline, since)) return Promise.reject(this.#refuse(priority, since));
    return new Promise<Release>((resolve, reject) => {
      const cleanup = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        const at = this.#queue.indexOf(waiter);
        if (at >= 0) this.#queue.splice(at, 1);
      };
      const waiter: Waiter = {
        priority,
        deadline,
        since,
        grant: () => {
          cleanup();
          this.#onWait?.(this.#now() - since, priority);
          resolve(this.#releaser());
        },
        fail: (error) => {
          cleanup();
          reject(error);
        },
      };
      const onAbort = () => waiter.fail(signal?.reason);
      // Still queued when only one call's time is left: refused then, as early as it is known.
      const lastChance = this.#holdMs * CALL_MARGIN;
      const timer = setTimeout(
        () => waiter.fail(lastChance > 0 ? this.#refuse(priority, since) : timeoutError('waiting for a free FreeIPA connection slot', deadline)),
        Math.max(0, deadline - lastChance - this.#now()),
      );
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#queue.splice(index, 0, waiter);
      this.#shedPushedBack(index + 1);
    });
  }

  /** Where a waiter goes: after everyone of higher priority, and after equal priority with an earlier or equal deadline. */
  #position(priority: Priority, deadline: number): number {
    let low = 0;
    let high = this.#queue.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      const other = this.#queue[mid]!;
      if (other.priority < priority || (other.priority === priority && other.deadline <= deadline)) low = mid + 1;
      else high = mid;
    }
    return low;
  }

  /** Whether a waiter at `index` can expect a slot and one call before its deadline. */
  #fits(index: number, deadline: number, now: number): boolean {
    if (this.#holdMs === 0) return true;
    const wait = ((index + 1) * this.#holdMs) / this.size;
    return now + wait + this.#holdMs * CALL_MARGIN <= deadline;
  }

  /** Waiters behind a newcomer wait longer now: refuse, from the back, those that no longer fit. */
  #shedPushedBack(from: number): void {
    const now = this.#now();
    for (let i = this.#queue.length - 1; i >= from; i -= 1) {
      const waiter = this.#queue[i]!;
      // Deadlines are sorted within a priority only, so every one behind is looked at.
      if (!this.#fits(i, waiter.deadline, now)) waiter.fail(this.#refuse(waiter.priority, waiter.since));
    }
  }

  #refuse(priority: Priority, since: number): FreeIpaSaturatedError {
    this.#shed[priority] += 1;
    // Retry when what is queued now should have drained.
    const drainMs = ((this.#queue.length + 1) * this.#holdMs) / this.size;
    return new FreeIpaSaturatedError(
      `FreeIPA is saturated: ${this.#queue.length} calls queued for ${this.size} connection slots, about ${Math.round(drainMs)} ms of waiting, more than the request has left`,
      Math.max(1000, drainMs),
      this.#now() - since,
    );
  }

  /** A release function that only counts once, so a double release cannot inflate the bound. */
  #releaser(): Release {
    let released = false;
    const granted = this.#now();
    return () => {
      if (released) return;
      released = true;
      const held = this.#now() - granted;
      this.#holdMs = this.#holdMs === 0 ? Math.max(held, 1) : this.#holdMs + HOLD_WEIGHT * (held - this.#holdMs);
      // A waiter whose deadline no longer leaves time for one call is refused now, not sent to time out.
      const now = this.#now();
      let next = this.#queue[0];
      while (next && now + this.#holdMs * CALL_MARGIN > next.deadline) {
        next.fail(this.#refuse(next.priority, next.since));
        next = this.#queue[0];
      }
      if (next) next.grant();
      else this.#available += 1;
    };
  }
}
