/**
 * The one place typed errors become HTTP answers: `{"error": {"code",
 * "title", "message", "request_id"}}`. 4xx say what was wrong; a 5xx body is
 * a fixed sentence (at most which dependency failed) and the request id, because
 * anyone reaching the port reads it: the URL, port and error text of the
 * failure are in the log line carrying the same request id.
 */
import type { Middleware } from 'koa';
import { DirectoryRefusal, WriteOutcomeUnknown } from '../domain/errors.js';
import { DependencyUnavailable, ServiceError } from '../errors.js';
import { FreeIpaAuthError, FreeIpaError, FreeIpaSaturatedError, FreeIpaTimeoutError, FreeIpaTlsError, FreeIpaUnavailableError } from '../freeipa/errors.js';
import type { Logger } from '../log/logger.js';

export interface ErrorBody {
  error: { code: number; title: string; message: string; field?: string; request_id?: string };
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
      if (typeof ctx.state['requestId'] === 'string') body.error.request_id = ctx.state['requestId'];
      ctx.body = body;
    }
  };
}

function classify(raw: unknown): { status: number; title: string; message: string; field?: string; expose: boolean; retryAfterSeconds?: number } {
  if (raw instanceof DependencyUnavailable) {
    return { status: raw.status, title: raw.code, message: `${dependencyName(raw.dependency)} is unavailable`, expose: true };
  }
  if (raw instanceof ServiceError && raw.status >= 500) {
    return { status: raw.status, title: raw.code, message: raw.status === 504 ? 'a dependency did not answer in time' : 'internal error', expose: true };
  }
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
  if (raw instanceof FreeIpaUnavailableError || raw instanceof WriteOutcomeUnknown) return { status: 503, title: 'dependency_unavailable', message: 'FreeIPA is unavailable', expose: true };
  if (raw instanceof FreeIpaAuthError || raw instanceof FreeIpaTlsError) {
    return { status: 503, title: 'dependency_unavailable', message: 'novajoin cannot log in to FreeIPA', expose: true };
  }
  if (raw instanceof DirectoryRefusal) return { status: 502, title: 'freeipa_error', message: `FreeIPA refused the change (${raw.directoryName})`, expose: true };
  if (raw instanceof FreeIpaError) return { status: 502, title: 'freeipa_error', message: `FreeIPA refused the change (${raw.rpcName})`, expose: true };
  const status = typeof (raw as { status?: unknown })?.status === 'number' ? (raw as { status: number }).status : 500;
  if (status >= 400 && status < 500 && (raw as { expose?: boolean }).expose) {
    return { status, title: 'invalid_request', message: (raw as Error).message, expose: true };
  }
  return { status: 500, title: 'internal_error', message: 'internal error', expose: false };
}

/** Dependencies by the names adapters and catalog types use; anything else stays unnamed. */
const DEPENDENCY_NAMES: Readonly<Record<string, string>> = {
  keystone: 'Keystone',
  identity: 'Keystone',
  glance: 'Glance',
  image: 'Glance',
  nova: 'Nova',
  compute: 'Nova',
  neutron: 'Neutron',
  network: 'Neutron',
  freeipa: 'FreeIPA',
};

function dependencyName(dependency: string): string {
  return DEPENDENCY_NAMES[dependency] ?? 'a service novajoin depends on';
}
