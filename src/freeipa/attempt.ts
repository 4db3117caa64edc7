/** One attempt of a call on one FreeIPA server (client.ts): its session, the request in a slot, a 5xx, one re-login. */
import type { ClientTelemetry } from './client-telemetry.js';
import { decodeReply, protocolError } from './codec.js';
import { checkDeadline } from './deadline.js';
import { CCacheError, FreeIpaAuthError, TicketExpiredError } from './errors.js';
import type { AttemptDeadlines } from './failover-loop.js';
import type { Replica } from './replica.js';
import { ServerStatusError } from './retry.js';
import type { Priority, Semaphore } from './semaphore.js';
import type { SessionToken } from './session.js';
import type { HttpResponse } from './transport.js';

export interface Attempt {
  readonly body: string;
  readonly what: string;
  readonly method: string;
  readonly deadlines: AttemptDeadlines;
  readonly sent: { value: boolean };
  readonly slots: Semaphore;
  readonly priority: Priority;
}

/** JSON errors that mean the session's credentials are gone: handled like a 401. */
function isSessionExpired(error: unknown): boolean {
  return error instanceof TicketExpiredError || error instanceof CCacheError;
}

/** One server: its session (logging in first if needed), the request, and one re-login on 401. */
export async function attemptOnServer(replica: Replica, attempt: Attempt, closing: AbortSignal, telemetry: ClientTelemetry): Promise<unknown> {
  const { what } = attempt;
  const deadline = attempt.deadlines.attempt;
  // A 401 means the session (or the ticket behind it) expired: log in
  // again once and repeat once. A second 401 right after a fresh login is
  // not an expiry but a refusal; looping would only hammer FreeIPA.
  for (let relogin = 0; ; relogin += 1) {
    checkDeadline(what, deadline);
    const session = await replica.session.ensure(deadline);
    const response = await post(replica, attempt, session, closing, telemetry);
    let expired = response.status === 401;
    let result: unknown;
    if (!expired) {
      if (response.status !== 200) {
        throw protocolError(`${what}: FreeIPA answered HTTP ${response.status}`, { status: response.status });
      }
      try {
        result = decodeReply(response.body, what);
      } catch (error) {
        if (!isSessionExpired(error)) throw error;
        expired = true;
      }
    }
    if (!expired) return result;
    replica.session.invalidate(session.generation);
    if (relogin >= 1) {
      throw new FreeIpaAuthError(`${what}: FreeIPA rejected the session right after a fresh login`, 'session-rejected');
    }
    telemetry.sessionExpired(attempt.method, replica.endpoint.name);
  }
}

/**
 * One HTTP attempt, inside a concurrency slot. A call refused by the slots
 * (FreeIpaSaturatedError) was never sent and is not retryable: it is the
 * caller's answer, not a sign that this server is down.
 */
async function post(replica: Replica, attempt: Attempt, session: SessionToken, closing: AbortSignal, telemetry: ClientTelemetry): Promise<HttpResponse> {
  const { deadlines, what } = attempt;
  // A slot is waited for against the caller's deadline: queueing here is load, not this server failing.
  const release = await attempt.slots.acquire(deadlines.call, closing, attempt.priority);
  attempt.sent.value = true;
  try {
    telemetry.roundTrip();
    const response = await replica.http.request({
      method: 'POST',
      path: '/session/json',
      headers: {
        'Content-Type': 'application/json',
        Accept: 'application/json',
        'Accept-Language': 'en-us',
        Referer: replica.http.referer,
        Cookie: `ipa_session=${session.cookie}`,
      },
      body: attempt.body,
      deadline: deadlines.attempt,
      what,
    });
    if (response.status >= 500) throw new ServerStatusError(response.status, what);
    if (response.status === 200) replica.session.refresh(session.generation, response.headers);
    return response;
  } finally {
    release();
  }
}
