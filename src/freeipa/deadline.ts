/**
 * Deadlines are absolute epoch milliseconds, so that a budget handed down
 * through several layers (join request -> client call -> retry -> HTTP
 * attempt) shrinks on its own instead of being restarted at each layer.
 */
import { FreeIpaTimeoutError } from './errors.js';

/** Milliseconds left before `deadline`; never negative. */
export function remaining(deadline: number, now = Date.now()): number {
  return Math.max(0, deadline - now);
}

/** The deadline a call gets: the caller's, or `timeoutMs` from now. */
export function deadlineFrom(opts: { deadline?: number } | undefined, timeoutMs: number): number {
  return opts?.deadline ?? Date.now() + timeoutMs;
}

export function timeoutError(what: string, deadline: number): FreeIpaTimeoutError {
  const late = Date.now() - deadline;
  return new FreeIpaTimeoutError(`${what}: deadline passed${late > 0 ? ` ${late} ms ago` : ''}`);
}

/** Throws FreeIpaTimeoutError when the deadline has already passed. */
export function checkDeadline(what: string, deadline: number): void {
  if (Date.now() >= deadline) throw timeoutError(what, deadline);
}

/**
 * Settles with `promise`, or rejects with FreeIpaTimeoutError at the
 * deadline. The promise itself keeps running (used for work that cannot be
 * aborted, such as a shared login or a GSSAPI step in the thread pool).
 */
export function raceDeadline<T>(promise: Promise<T>, deadline: number, what: string): Promise<T> {
  const left = remaining(deadline);
  if (left === 0) {
    promise.catch(() => undefined);
    return Promise.reject(timeoutError(what, deadline));
  }
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(timeoutError(what, deadline)), left);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

/** Waits `ms`, or rejects early with the signal's reason when it aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
