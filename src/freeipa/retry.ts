/**
 * The one retry rule of the FreeIPA client: retry only what can succeed on
 * retry (a connection that failed, an HTTP 5xx), a bounded number of times,
 * with jittered exponential backoff, and never past the caller's deadline.
 * Everything else (a FreeIPA error, a TLS failure, a refused login, the
 * deadline itself) propagates at once.
 *
 * Retrying a write: a request whose connection broke may already have been
 * executed by FreeIPA. That is acceptable only because every caller makes
 * its writes idempotent (add answers DuplicateEntry, del NotFound, a
 * dnsrecord value EmptyModlist / AttrValueNotFound, and the domain layer
 * treats those as "already done"). A new caller must keep that property.
 */
import { FreeIpaTimeoutError, FreeIpaUnavailableError } from './errors.js';
import { remaining, sleep } from './deadline.js';

/** FreeIPA (or its Apache) answered 5xx: transient by definition. */
export class ServerStatusError extends FreeIpaUnavailableError {
  constructor(readonly status: number, what: string) {
    super(`${what}: FreeIPA answered HTTP ${status}`);
    this.name = 'FreeIpaUnavailableError';
  }
}

export function isRetryable(error: unknown): boolean {
  return error instanceof FreeIpaUnavailableError && !(error instanceof FreeIpaTimeoutError);
}

export interface RetryInfo {
  /** 1 for the first retry. */
  readonly attempt: number;
  readonly delayMs: number;
  readonly error: Error;
}

export interface RetryOptions {
  /** Extra attempts after the first. */
  readonly retries: number;
  readonly deadline: number;
  /** What is being done, for messages. */
  readonly what: string;
  readonly baseDelayMs?: number;
  readonly maxDelayMs?: number;
  readonly signal?: AbortSignal;
  readonly onRetry?: (info: RetryInfo) => void;
}

/** Delay before retry `attempt` (1-based): half fixed, half random, so replicas do not retry in step. */
export function backoffDelay(attempt: number, baseMs = 100, maxMs = 2_000): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** (attempt - 1));
  return Math.round(ceiling / 2 + Math.random() * (ceiling / 2));
}

export async function withRetries<T>(attempt: (n: number) => Promise<T>, options: RetryOptions): Promise<T> {
  for (let n = 0; ; n += 1) {
    try {
      return await attempt(n);
    } catch (error) {
      if (!isRetryable(error) || options.signal?.aborted) throw error;
      const last = error as FreeIpaUnavailableError;
      const tries = n + 1;
      if (n >= options.retries) {
        throw new FreeIpaUnavailableError(`${options.what}: FreeIPA unavailable after ${tries} attempt${tries > 1 ? 's' : ''}: ${last.message}`, { cause: last });
      }
      const delayMs = backoffDelay(n + 1, options.baseDelayMs, options.maxDelayMs);
      // Sleeping into the deadline would only turn "unavailable" into a
      // later "timeout"; say what happened while there is time to say it.
      if (delayMs >= remaining(options.deadline)) {
        throw new FreeIpaUnavailableError(`${options.what}: FreeIPA unavailable (${tries} attempt${tries > 1 ? 's' : ''}, no time left to retry before the deadline): ${last.message}`, { cause: last });
      }
      options.onRetry?.({ attempt: n + 1, delayMs, error: last });
      await sleep(delayMs, options.signal);
    }
  }
}
