/**
 * The one place typed errors become HTTP answers: `{"error": {"code",
 * "title", "message"}}`. 4xx say what was wrong; 5xx never leak internals
 * (a dependency outage says which dependency, nothing more).
 */
import type { Middleware } from 'koa';
import { ServiceError } from '../errors.js';
import { FreeIpaAuthError, FreeIpaError, FreeIpaSaturatedError, FreeIpaTimeoutError, FreeIpaTlsError, FreeIpaUnavailableError } from '../freeipa/errors.js';
import type { Logger } from '../log/logger.js';

export interface ErrorBody {
  error: { code: number; title: string; message: string; field?: string };
}

export function errorHandler(logger: Logger): Middleware {
  return async function handleErrors(ctx, next) {
    try {
      await next();
    } catch (raw) {
      const { status, title, message, field, expose, retryAfterSeconds } = classify(raw);
      const log = ctx.state['log'] as Logger | undefined ?? logger;
      // Shedding under a boot storm is expected behaviour, not a fault: one warning line, no stack.
      if (raw instanceof FreeIpaSaturatedError) log.warn('request shed: FreeIPA saturated', { status, reason: raw.message });
      else if (status >= 500) log.error('request failed', { status, error: raw instanceof Error ? raw : String(raw), cause: raw instanceof Error ? String(raw.cause ?? '') : undefined });
      else log.info('request refused', { status, reason: message });
      ctx.status = status;
      ctx.type = 'application/json';
      if (status === 401) ctx.set('WWW-Authenticate', String(ctx.state['wwwAuthenticate'] ?? 'Keystone'));
      if (retryAfterSeconds !== undefined) ctx.set('Retry-After', String(retryAfterSeconds));
      const body: ErrorBody = { error: { code: status, title, message: expose ? message : 'The server could not complete the request.' } };
      if (field && expose) body.error.field = field;
      ctx.body = body;
    }
  };
}

function classify(raw: unknown): { status: number; title: string; message: string; field?: string; expose: boolean; retryAfterSeconds?: number } {
  if (raw instanceof ServiceError) {
    const field = 'field' in raw && typeof raw.field === 'string' ? raw.field : undefined;
    return { status: raw.status, title: raw.code, message: raw.message, expose: raw.expose, ...(field ? { field } : {}) };
  }
  // Before the timeout it is: refused at once because FreeIPA could not have answered in time.
  if (raw instanceof FreeIpaSaturatedError) {
    const retryAfterSeconds = Math.max(1, Math.ceil(raw.retryAfterMs / 1000));
    return { status: 503, title: 'freeipa_saturated', message: `FreeIPA is saturated: it could not have answered before the deadline; retry after ${retryAfterSeconds} s`, expose: true, retryAfterSeconds };
  }
  if (raw instanceof FreeIpaTimeoutError) return { status: 504, title: 'timeout', message: 'FreeIPA did not answer in time', expose: true };
  if (raw instanceof FreeIpaUnavailableError) return { status: 503, title: 'dependency_unavailable', message: 'FreeIPA is unavailable', expose: true };
  if (raw instanceof FreeIpaAuthError || raw instanceof FreeIpaTlsError) {
    return { status: 503, title: 'dependency_unavailable', message: 'novajoin cannot log in to FreeIPA', expose: true };
  }
  if (raw instanceof FreeIpaError) return { status: 502, title: 'freeipa_error', message: `FreeIPA refused the change (${raw.rpcName})`, expose: true };
  const status = typeof (raw as { status?: unknown })?.status === 'number' ? (raw as { status: number }).status : 500;
  if (status >= 400 && status < 500 && (raw as { expose?: boolean }).expose) {
    return { status, title: 'invalid_request', message: (raw as Error).message, expose: true };
  }
  return { status: 500, title: 'internal_error', message: 'internal error', expose: false };
}
