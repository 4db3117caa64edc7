/**
 * Exponential backoff with jitter, shared by the message retries and the
 * broker reconnects. Delay for attempt n (1-based) is initial * 2^(n-1),
 * capped at max, then spread by up to +`jitter` so that many messages (or
 * many listeners) failing together do not come back together.
 */
export interface BackoffOptions {
  readonly initialMs: number;
  readonly maxMs: number;
  /** Fraction added at random on top of the base delay. @defaultValue 0.2 */
  readonly jitter?: number;
}

/** The delay before attempt n, without jitter. */
export function baseDelay(attempt: number, { initialMs, maxMs }: BackoffOptions): number {
  const n = Math.max(1, Math.floor(attempt));
  return Math.min(maxMs, initialMs * 2 ** Math.min(n - 1, 52));
}

export function backoffDelay(attempt: number, options: BackoffOptions, random: () => number = Math.random): number {
  const base = baseDelay(attempt, options);
  return Math.round(base * (1 + (options.jitter ?? 0.2) * random()));
}

/**
 * The distinct base delays from initial to max: the retry "levels". Each gets
 * its own delay queue (see retry.ts), so that messages sharing a queue have
 * nearly equal TTLs.
 */
export function backoffLevels(options: BackoffOptions): number[] {
  const levels: number[] = [];
  for (let attempt = 1; ; attempt++) {
    const delay = Math.round(baseDelay(attempt, options));
    if (levels.at(-1) === delay) break;
    levels.push(delay);
    if (delay >= options.maxMs) break;
  }
  return levels;
}

/** Resolves after `ms`, or early (without error) when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
