/** What the FreeIPA client reports of its work (client.ts): its events, log lines and counters. */
import type { EventEmitter } from 'node:events';
import type { Logger } from '../log/logger.js';
import type { Authenticator } from './auth.js';
import { FreeIpaError } from './errors.js';
import type { FreeIpaClientEvents, FreeIpaClientStats, RpcEvent } from './client-types.js';

export class ClientTelemetry {
  readonly #events: EventEmitter<FreeIpaClientEvents>;
  readonly #logger: Logger;
  readonly #stats = { roundTrips: 0, logins: 0, retries: 0, errors: {} as Record<string, number> };

  constructor(events: EventEmitter<FreeIpaClientEvents>, logger: Logger) {
    this.#events = events;
    this.#logger = logger;
  }

  get stats(): FreeIpaClientStats {
    return { ...this.#stats, errors: { ...this.#stats.errors } };
  }

  roundTrip(): void {
    this.#stats.roundTrips += 1;
  }

  loginStarted(): void {
    this.#stats.logins += 1;
  }

  loggedIn(kind: Authenticator['kind'], server: string, durationMs: number): void {
    this.#events.emit('login', { kind, durationMs, outcome: 'ok' });
    this.#logger.debug('freeipa login', { kind, server, durationMs: Math.round(durationMs) });
  }

  loginFailed(kind: Authenticator['kind'], server: string, started: number, error: unknown): void {
    const outcome = errorName(error);
    this.#events.emit('login', { kind, durationMs: performance.now() - started, outcome });
    // The message names the principal or user and the reason; no secret.
    this.#logger.warn('freeipa login failed', { kind, server, error: (error as Error).message });
  }

  sessionExpired(method: string, server: string): void {
    this.#logger.debug('freeipa session expired, logging in again', { method, server });
  }

  serverDown(server: string, until: number, error: Error): void {
    this.#logger.warn('freeipa server taken out after a failure', { server, until: new Date(until).toISOString(), error: error.message });
    this.#events.emit('server', { server, state: 'down', error: error.message });
  }

  serverUp(server: string): void {
    this.#logger.info('freeipa server back in service', { server });
    this.#events.emit('server', { server, state: 'up' });
  }

  retried(method: string, attempt: number, delayMs: number, error: Error): void {
    this.#stats.retries += 1;
    this.#events.emit('retry', { method, attempt, delayMs, reason: error.message });
    this.#logger.debug('freeipa retry', { method, attempt, delayMs, error: error.message });
  }

  countError(error: unknown): string {
    const name = errorName(error);
    this.#stats.errors[name] = (this.#stats.errors[name] ?? 0) + 1;
    return name;
  }

  finished(event: RpcEvent): void {
    // Method names and durations only: params carry OTPs, replies carry keys.
    // One call per FreeIPA round trip: skip building the record unless it is kept.
    if (this.#logger.isDebugEnabled()) this.#logger.debug('freeipa call', {
      method: event.method,
      ...(event.methods ? { methods: event.methods } : {}),
      durationMs: Math.round(event.durationMs),
      outcome: event.outcome,
    });
    this.#events.emit('rpc', event);
  }
}

function errorName(error: unknown): string {
  if (error instanceof FreeIpaError) return error.rpcName;
  return error instanceof Error ? error.name : 'Error';
}
