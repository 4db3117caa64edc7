/**
 * The attempts of one call (client.ts): which server each goes to, how much
 * of the caller's deadline it may take, and whether the call goes on after
 * it fails.
 */
import type { ClientTelemetry } from './client-telemetry.js';
import { checkDeadline, remaining, sleep } from './deadline.js';
import { FreeIpaConnectError, FreeIpaOutcomeUnknownError, FreeIpaSaturatedError, FreeIpaTimeoutError, FreeIpaTlsError, FreeIpaUnavailableError } from './errors.js';
import type { Replica } from './replica.js';
import { backoffDelay, isRetryable } from './retry.js';
import type { ServerPool } from './server-pool.js';

/** The shortest time one attempt is given when another server could take the call instead. */
const MIN_ATTEMPT_MS = 1_000;

/** attempt: this server's share of the budget; call: the caller's deadline. */
export interface AttemptDeadlines {
  readonly attempt: number;
  readonly call: number;
}

export interface FailoverCall {
  readonly what: string;
  readonly method: string;
  readonly readOnly: boolean;
  readonly deadline: number;
  readonly retries: number;
}

export type AttemptOn<T> = (replica: Replica, deadlines: AttemptDeadlines, sent: { value: boolean }) => Promise<T>;

export async function tryServers<T>(pool: ServerPool<Replica>, call: FailoverCall, attemptOn: AttemptOn<T>, closing: AbortSignal, telemetry: ClientTelemetry): Promise<T> {
  const { what, deadline } = call;
  const tried = new Set<Replica>();
  // Each server once, plus the configured retries.
  const attempts = call.retries + Math.max(1, pool.size);
  for (let n = 1; ; n += 1) {
    checkDeadline(what, deadline);
    const pick = pool.pick(tried);
    if (!pick) throw new FreeIpaUnavailableError(`${what}: no FreeIPA server is configured or found in DNS`);
    const replica = pick.replica;
    tried.add(replica);
    const sent = { value: false };
    // With a server still to try, one attempt may take half of what is left: a server that
    // accepts and never answers then costs half the caller's budget, not all of it.
    const attemptStart = Date.now();
    const attemptDeadline = tried.size < pool.size ? Math.min(deadline, attemptStart + Math.max(MIN_ATTEMPT_MS, remaining(deadline) / 2)) : deadline;
    try {
      const result = await attemptOn(replica, { attempt: attemptDeadline, call: deadline }, sent);
      serverUp(pool, replica, telemetry);
      return result;
    } catch (caught) {
      // The attempt's own limit, not the caller's: the server is at fault, and the call may go on.
      const error =
        caught instanceof FreeIpaTimeoutError && !(caught instanceof FreeIpaSaturatedError) && attemptDeadline < deadline
          ? new FreeIpaUnavailableError(`${what}: ${replica.endpoint.name} did not answer within ${Math.round(attemptDeadline - attemptStart)} ms`, { cause: caught })
          : caught;
      // One replica's certificate failing (expired, renewed from the wrong CA) says nothing of the
      // others', and nothing was sent: the call goes on to a server not yet tried. Alone, it is the answer.
      if (error instanceof FreeIpaTlsError && tried.size < pool.size && !closing.aborted) {
        serverDown(pool, replica, error, telemetry);
        continue;
      }
      if (!isRetryable(error) || closing.aborted) throw error;
      const failure = error as FreeIpaUnavailableError;
      serverDown(pool, replica, failure, telemetry);
      if (!call.readOnly && sent.value && !(failure instanceof FreeIpaConnectError)) {
        throw new FreeIpaOutcomeUnknownError(
          `${what}: the answer from ${replica.endpoint.name} was lost and the write may have been applied; not sent again (${failure.message})`,
          { cause: failure },
        );
      }
      if (n >= attempts) {
        throw new FreeIpaUnavailableError(`${what}: FreeIPA unavailable after ${n} attempt${n > 1 ? 's' : ''}: ${failure.message}`, { cause: failure });
      }
      const next = pool.pick(tried);
      // Another server that is up: go there at once. Only the same or a down one: wait first.
      const delayMs = next?.up && next.replica !== replica ? 0 : backoffDelay(n);
      if (delayMs > 0 && delayMs >= remaining(deadline)) {
        throw new FreeIpaUnavailableError(`${what}: FreeIPA unavailable (${n} attempt${n > 1 ? 's' : ''}, no time left to retry before the deadline): ${failure.message}`, { cause: failure });
      }
      telemetry.retried(call.method, n, delayMs, failure);
      if (delayMs > 0) await sleep(delayMs, closing);
    }
  }
}

function serverDown(pool: ServerPool<Replica>, replica: Replica, error: Error, telemetry: ClientTelemetry): void {
  const until = pool.failed(replica, error);
  if (until === null) return;
  telemetry.serverDown(replica.endpoint.name, until, error);
}

function serverUp(pool: ServerPool<Replica>, replica: Replica, telemetry: ClientTelemetry): void {
  if (!pool.succeeded(replica)) return;
  telemetry.serverUp(replica.endpoint.name);
}
