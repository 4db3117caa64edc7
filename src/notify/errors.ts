import { DependencyUnavailable, GatewayTimeout } from '../errors.js';
import { FreeIpaUnavailableError } from '../freeipa/errors.js';

/**
 * A message that can never be applied, however often it is retried: not JSON,
 * not an oslo message, or missing what its event needs (an instance uuid).
 * It goes to the dead-letter queue with `reason` in a header.
 */
export class PoisonMessage extends Error {
  constructor(readonly reason: string, options?: { cause?: unknown }) {
    super(`poison message: ${reason}`, options);
    this.name = 'PoisonMessage';
  }
}

/**
 * Socket and DNS error codes of Node and undici that mean "the other side
 * could not be reached right now". A refused or reset connection may work on
 * the next try; nothing else is guessed from codes.
 */
const TRANSIENT_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'EHOSTDOWN', 'ENETUNREACH',
  'ENETDOWN', 'EAI_AGAIN', 'ESOCKETTIMEDOUT',
  'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED',
]);

/**
 * Whether retrying later can succeed (design B5: only what can succeed on
 * retry is retried). Transient: FreeIPA unavailable or timed out, a dependency
 * answering 503/504, socket-level failures, a deadline (`TimeoutError` from
 * `AbortSignal.timeout`), and any error that says `transient: true`. The
 * `cause` chain and AggregateError members are looked at too, because fetch
 * wraps the socket error (`TypeError: fetch failed` with a cause).
 */
export function isTransient(err: unknown, depth = 0): boolean {
  if (depth > 5 || err === null || typeof err !== 'object') return false;
  if (err instanceof PoisonMessage) return false;
  if (err instanceof FreeIpaUnavailableError || err instanceof DependencyUnavailable || err instanceof GatewayTimeout) {
    return true;
  }
  const e = err as { transient?: unknown; code?: unknown; name?: unknown; cause?: unknown; errors?: unknown };
  if (e.transient === true) return true;
  if (e.transient === false) return false;
  if (typeof e.code === 'string' && TRANSIENT_CODES.has(e.code)) return true;
  if (e.name === 'TimeoutError') return true;
  if (Array.isArray(e.errors) && e.errors.some((inner) => isTransient(inner, depth + 1))) return true;
  return isTransient(e.cause, depth + 1);
}
