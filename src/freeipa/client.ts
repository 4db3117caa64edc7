/**
 * The FreeIPA JSON-RPC client (design section 5): commands over
 * /ipa/session/json with the `ipa_session` cookie, one shared login per
 * server, re-login once on 401, `batch` for multi-operation changes, bounded
 * concurrency and retries, failover between FreeIPA servers, every call
 * inside its deadline.
 *
 * Layers, one module each: transport.ts (HTTPS), session.ts (cookie and
 * single login), auth-*.ts (login methods), server-pool.ts (which server),
 * srv.ts (DNS SRV discovery), failover.ts (what may go to another server),
 * retry.ts, semaphore.ts, codec.ts (envelope), commands.ts (builders).
 */
import { EventEmitter, setMaxListeners } from 'node:events';
import type { LookupFunction } from 'node:net';
import type { Logger } from '../log/logger.js';
import { silentLogger } from '../log/logger.js';
import type { Authenticator } from './auth.js';
import { KerberosAuthenticator } from './auth-kerberos.js';
import { PasswordAuthenticator } from './auth-password.js';
import type { BatchItem } from './codec.js';
import { batchCommand, decodeBatch, decodeReply, encodeCall, protocolError } from './codec.js';
import type { IpaCommand } from './commands.js';
import { ping as pingCommand } from './commands.js';
import { checkDeadline, deadlineFrom, raceDeadline, remaining, sleep } from './deadline.js';
import {
  CCacheError, FreeIpaAuthError, FreeIpaConnectError, FreeIpaError, FreeIpaOutcomeUnknownError, FreeIpaSaturatedError, FreeIpaTimeoutError, FreeIpaTlsError, FreeIpaUnavailableError, TicketExpiredError,
} from './errors.js';
import { DiscoveryRefresher, isReadOnly } from './failover.js';
import { backoffDelay, isRetryable, ServerStatusError } from './retry.js';
import { PRIORITY, Semaphore, type Priority, type SlotStats } from './semaphore.js';
import { ServerPool, type ServerEndpoint, type ServerHealth } from './server-pool.js';
import { makeResolver, resolverLookup } from './srv.js';
import { Session } from './session.js';
import type { SessionToken } from './session.js';
import { HttpsTransport } from './transport.js';
import type { HttpResponse } from './transport.js';
import type { CallOptions, FreeIpaClientEvents, FreeIpaClientOptions, FreeIpaClientStats, RpcEvent } from './client-types.js';

export type { BatchItem } from './codec.js';
export type { IpaCommand } from './commands.js';
export type { ServerEndpoint, ServerHealth } from './server-pool.js';
export type { DiscoveryConfig } from './failover.js';

export type {
  CallOptions, FreeIpaAuthOptions, FreeIpaClientEvents, FreeIpaClientOptions, FreeIpaClientStats, LoginEvent, QueueEvent, RetryEvent, RpcEvent, ServerEvent,
} from './client-types.js';
export { clientFromConfig } from './client-config.js';

/** JSON errors that mean the session's credentials are gone: handled like a 401. */
function isSessionExpired(error: unknown): boolean {
  return error instanceof TicketExpiredError || error instanceof CCacheError;
}

/** One FreeIPA server as the client holds it: its own sockets, login and `ipa_session` cookie. */
interface Replica {
  readonly endpoint: ServerEndpoint;
  readonly http: HttpsTransport;
  readonly auth: Authenticator;
  readonly session: Session;
}

/** The shortest time one attempt is given when another server could take the call instead. */
const MIN_ATTEMPT_MS = 1_000;

/** attempt: this server's share of the budget; call: the caller's deadline. */
interface AttemptDeadlines {
  readonly attempt: number;
  readonly call: number;
}

export class FreeIpaClient extends EventEmitter<FreeIpaClientEvents> {
  readonly #options: FreeIpaClientOptions;
  readonly #logger: Logger;
  readonly #pool: ServerPool<Replica>;
  readonly #discovery: DiscoveryRefresher | null;
  readonly #lookup: LookupFunction | undefined;
  // One bound for all servers, not one per server: max_concurrency is what
  // this process may ask of FreeIPA, and calls go to the first server that is
  // up, so one queue and its hold-time estimate describe the server doing the
  // work. An attempt that fails over queues again at its priority and deadline.
  readonly #slots: Semaphore;
  /** The readiness probe's own slot: probes never take one of the slots joins wait for. */
  readonly #probeSlot = new Semaphore(1);
  // One listener per request in flight or queued: as many as max_concurrency and more, all removed when done.
  readonly #closing = unboundedAbortController();
  readonly #stats = { roundTrips: 0, logins: 0, retries: 0, errors: {} as Record<string, number> };
  #closed: Promise<void> | null = null;

  constructor(options: FreeIpaClientOptions) {
    super();
    const single = !options.servers?.length && !options.discovery;
    if (single && !options.url) throw new TypeError('the FreeIPA URL is not set: set [freeipa] server (or url)');
    const server = options.server || (options.url ? new URL(options.url).hostname : '');
    this.#options = { ...options, server };
    if (!Number.isInteger(options.retries) || options.retries < 0) throw new RangeError('retries must be a non-negative integer');
    if (!(options.timeoutMs > 0)) throw new RangeError('timeoutMs must be positive');
    this.#logger = options.logger ?? silentLogger();
    this.#slots = new Semaphore(options.maxConcurrency, { onWait: (waitMs, priority) => this.emit('queue', { waitMs, priority }) });
    this.#lookup = options.lookup ?? (options.dnsServers?.length ? resolverLookup(makeResolver(options.dnsServers, options.timeoutMs)) : undefined);
    this.#pool = new ServerPool((endpoint) => this.#replica(endpoint), options.serverBackoff ?? { initialMs: 2_000, maxMs: 60_000 });
    const configured = options.servers?.length ? options.servers : options.url ? [{ name: server, url: options.url }] : [];
    // Built now so that a wrong CA file fails at start, as with one server.
    this.#pool.set(configured);
    this.#discovery = options.discovery
      ? new DiscoveryRefresher(
          { ...options.discovery, dnsServers: options.discovery.dnsServers ?? options.dnsServers },
          (endpoints) => this.#pool.set(endpoints),
          this.#logger,
          () => this.#pool.size > 0,
        )
      : null;
  }

  /** The sockets, login and session of one server. */
  #replica(endpoint: ServerEndpoint): Replica {
    // One socket more than the request bound, so a login never waits for a
    // socket held by a request that is itself waiting for that login.
    const http = new HttpsTransport({
      url: endpoint.url,
      server: endpoint.name,
      caFile: this.#options.caFile,
      maxSockets: this.#options.maxConcurrency + 2, // and one for the probe slot
      lookup: this.#lookup,
    });
    const auth: Authenticator =
      this.#options.auth.kind === 'kerberos'
        ? new KerberosAuthenticator({ server: endpoint.name, keytab: this.#options.auth.keytab, principal: this.#options.auth.principal })
        : new PasswordAuthenticator(this.#options.auth.user, this.#options.auth.password);
    const replica: Replica = { endpoint, http, auth, session: new Session(() => this.#login(replica)) };
    return replica;
  }

  /** Each server's state, in the order calls try them: for /readyz, /metrics and `novajoin check`. */
  servers(): ServerHealth[] {
    return this.#pool.health();
  }

  /** Where the servers come from, and the last discovery error if any. */
  get discovery(): { readonly query: string | null; readonly error: string | null; readonly nextRefreshMs: number | null } | null {
    const d = this.#discovery;
    return d ? { query: d.lastQuery, error: d.lastError, nextRefreshMs: d.nextRefreshMs } : null;
  }

  /** Looks the SRV records up now (discovery only); resolves when the list is known. */
  async refreshServers(): Promise<void> {
    await this.#discovery?.refresh(this.#pool.size === 0);
  }

  get stats(): FreeIpaClientStats {
    return { ...this.#stats, errors: { ...this.#stats.errors } };
  }

  /** The connection slots' queue, for metrics. */
  get slots(): SlotStats {
    return this.#slots.stats;
  }

  /** Runs one command; resolves with FreeIPA's `result` (the command output), or throws its typed error. */
  async call<T = Record<string, unknown>>(command: IpaCommand<T>, opts?: CallOptions): Promise<T> {
    return this.#call(command, opts, this.#slots);
  }

  async #call<T>(command: IpaCommand<T>, opts: CallOptions | undefined, slots: Semaphore): Promise<T> {
    const deadline = deadlineFrom(opts, this.#options.timeoutMs);
    const started = performance.now();
    try {
      const result = (await this.#rpc(command, deadline, slots, opts?.priority)) as T;
      this.#finished({ method: command.method, durationMs: performance.now() - started, outcome: 'ok' });
      return result;
    } catch (error) {
      this.#finished({ method: command.method, durationMs: performance.now() - started, outcome: this.#countError(error) });
      throw error;
    }
  }

  /**
   * Runs the commands as one `batch` round trip. Resolves with one item per
   * command, in order; a failed item is `{ ok: false, error }` and does not
   * fail the batch. Only a failure of the batch call itself throws.
   */
  async batch(commands: readonly IpaCommand<unknown>[], opts?: CallOptions): Promise<BatchItem[]> {
    if (commands.length === 0) return [];
    const deadline = deadlineFrom(opts, this.#options.timeoutMs);
    const started = performance.now();
    const methods = commands.map((cmd) => cmd.method);
    try {
      const items = decodeBatch(await this.#rpc(batchCommand(commands), deadline, this.#slots, opts?.priority), commands.length);
      let itemErrors = 0;
      for (const item of items) {
        if (!item.ok) {
          itemErrors += 1;
          this.#countError(item.error);
        }
      }
      this.#finished({ method: 'batch', methods, durationMs: performance.now() - started, outcome: 'ok', itemErrors });
      return items;
    } catch (error) {
      this.#finished({ method: 'batch', methods, durationMs: performance.now() - started, outcome: this.#countError(error) });
      throw error;
    }
  }

  /** FreeIPA's ping summary, e.g. "IPA server version 4.9.11. API version 2.251". */
  async ping(opts?: CallOptions & { readonly probe?: boolean | undefined }): Promise<string> {
    // A readiness probe runs on a slot of its own, never on one the calls of joins wait for.
    return (await this.#call(pingCommand(), opts, opts?.probe ? this.#probeSlot : this.#slots)).summary;
  }

  /** Aborts what is in flight, closes the sockets; later calls fail. Safe to call twice. */
  close(): Promise<void> {
    this.#closed ??= (async () => {
      this.#closing.abort(new FreeIpaUnavailableError('the FreeIPA client is closed'));
      this.#discovery?.stop();
      for (const replica of this.#pool.replicas()) {
        replica.http.close();
        replica.session.clear();
        await replica.auth.close();
      }
    })();
    return this.#closed;
  }

  /**
   * Server choice, login, session, retries: the command's JSON `result`,
   * decoded. A failed attempt takes its server out and the next attempt goes
   * to the next server, within the same deadline; what may be sent again is
   * decided in failover.ts.
   */
  async #rpc(command: IpaCommand<unknown>, deadline: number, slots: Semaphore, priority: Priority = PRIORITY.normal): Promise<unknown> {
    if (this.#closing.signal.aborted) throw new FreeIpaUnavailableError('the FreeIPA client is closed');
    if (this.#discovery) await this.#withDeadline(this.#discovery.ready(), deadline, 'finding FreeIPA servers in DNS');
    const body = encodeCall(command, this.#options.apiVersion);
    const what = `FreeIPA ${command.method}`;
    const readOnly = isReadOnly(command);
    const tried = new Set<Replica>();
    // Each server once, plus the configured retries.
    const attempts = this.#options.retries + Math.max(1, this.#pool.size);
    for (let n = 1; ; n += 1) {
      checkDeadline(what, deadline);
      const pick = this.#pool.pick(tried);
      if (!pick) throw new FreeIpaUnavailableError(`${what}: no FreeIPA server is configured or found in DNS`);
      const replica = pick.replica;
      tried.add(replica);
      const sent = { value: false };
      // With a server still to try, one attempt may take half of what is left: a server that
      // accepts and never answers then costs half the caller's budget, not all of it.
      const attemptStart = Date.now();
      const attemptDeadline = tried.size < this.#pool.size ? Math.min(deadline, attemptStart + Math.max(MIN_ATTEMPT_MS, remaining(deadline) / 2)) : deadline;
      try {
        const result = await this.#onServer(replica, body, { attempt: attemptDeadline, call: deadline }, what, command.method, sent, slots, priority);
        this.#serverUp(replica);
        return result;
      } catch (caught) {
        // The attempt's own limit, not the caller's: the server is at fault, and the call may go on.
        const error =
          caught instanceof FreeIpaTimeoutError && !(caught instanceof FreeIpaSaturatedError) && attemptDeadline < deadline
            ? new FreeIpaUnavailableError(`${what}: ${replica.endpoint.name} did not answer within ${Math.round(attemptDeadline - attemptStart)} ms`, { cause: caught })
            : caught;
        // One replica's certificate failing (expired, renewed from the wrong CA) says nothing of the
        // others', and nothing was sent: the call goes on to a server not yet tried. Alone, it is the answer.
        if (error instanceof FreeIpaTlsError && tried.size < this.#pool.size && !this.#closing.signal.aborted) {
          this.#serverDown(replica, error);
          continue;
        }
        if (!isRetryable(error) || this.#closing.signal.aborted) throw error;
        const failure = error as FreeIpaUnavailableError;
        this.#serverDown(replica, failure);
        if (!readOnly && sent.value && !(failure instanceof FreeIpaConnectError)) {
          throw new FreeIpaOutcomeUnknownError(
            `${what}: the answer from ${replica.endpoint.name} was lost and the write may have been applied; not sent again (${failure.message})`,
            { cause: failure },
          );
        }
        if (n >= attempts) {
          throw new FreeIpaUnavailableError(`${what}: FreeIPA unavailable after ${n} attempt${n > 1 ? 's' : ''}: ${failure.message}`, { cause: failure });
        }
        const next = this.#pool.pick(tried);
        // Another server that is up: go there at once. Only the same or a down one: wait first.
        const delayMs = next?.up && next.replica !== replica ? 0 : backoffDelay(n);
        if (delayMs > 0 && delayMs >= remaining(deadline)) {
          throw new FreeIpaUnavailableError(`${what}: FreeIPA unavailable (${n} attempt${n > 1 ? 's' : ''}, no time left to retry before the deadline): ${failure.message}`, { cause: failure });
        }
        this.#retried(command.method, n, delayMs, failure);
        if (delayMs > 0) await sleep(delayMs, this.#closing.signal);
      }
    }
  }

  /** One server: its session (logging in first if needed), the request, and one re-login on 401. */
  async #onServer(replica: Replica, body: string, deadlines: AttemptDeadlines, what: string, method: string, sent: { value: boolean }, slots: Semaphore, priority: Priority): Promise<unknown> {
    const deadline = deadlines.attempt;
    // A 401 means the session (or the ticket behind it) expired: log in
    // again once and repeat once. A second 401 right after a fresh login is
    // not an expiry but a refusal; looping would only hammer FreeIPA.
    for (let relogin = 0; ; relogin += 1) {
      checkDeadline(what, deadline);
      const session = await replica.session.ensure(deadline);
      const response = await this.#post(replica, body, session, deadlines, what, slots, priority, sent);
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
      this.#logger.debug('freeipa session expired, logging in again', { method, server: replica.endpoint.name });
    }
  }

  /**
   * One HTTP attempt, inside a concurrency slot. A call refused by the slots
   * (FreeIpaSaturatedError) was never sent and is not retryable: it is the
   * caller's answer, not a sign that this server is down.
   */
  async #post(replica: Replica, body: string, session: SessionToken, deadlines: AttemptDeadlines, what: string, slots: Semaphore, priority: Priority, sent: { value: boolean }): Promise<HttpResponse> {
    // A slot is waited for against the caller's deadline: queueing here is load, not this server failing.
    const release = await slots.acquire(deadlines.call, this.#closing.signal, priority);
    sent.value = true;
    try {
      this.#stats.roundTrips += 1;
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
        body,
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

  #serverDown(replica: Replica, error: Error): void {
    const until = this.#pool.failed(replica, error);
    if (until === null) return;
    this.#logger.warn('freeipa server taken out after a failure', { server: replica.endpoint.name, until: new Date(until).toISOString(), error: error.message });
    this.emit('server', { server: replica.endpoint.name, state: 'down', error: error.message });
  }

  #serverUp(replica: Replica): void {
    if (!this.#pool.succeeded(replica)) return;
    this.#logger.info('freeipa server back in service', { server: replica.endpoint.name });
    this.emit('server', { server: replica.endpoint.name, state: 'up' });
  }

  #withDeadline<T>(promise: Promise<T>, deadline: number, what: string): Promise<T> {
    return raceDeadline(promise, deadline, what);
  }

  /**
   * One shared login per server (session.ts), with its own deadline. Its
   * failures are retried by the call, which may move to another server.
   */
  async #login(replica: Replica): Promise<string> {
    const deadline = Date.now() + this.#options.timeoutMs;
    const started = performance.now();
    const auth = replica.auth;
    try {
      this.#stats.logins += 1;
      const cookie = await auth.login(replica.http, deadline);
      const durationMs = performance.now() - started;
      this.emit('login', { kind: auth.kind, durationMs, outcome: 'ok' });
      this.#logger.debug('freeipa login', { kind: auth.kind, server: replica.endpoint.name, durationMs: Math.round(durationMs) });
      return cookie;
    } catch (error) {
      const outcome = errorName(error);
      this.emit('login', { kind: auth.kind, durationMs: performance.now() - started, outcome });
      // The message names the principal or user and the reason; no secret.
      this.#logger.warn('freeipa login failed', { kind: auth.kind, server: replica.endpoint.name, error: (error as Error).message });
      throw error;
    }
  }

  #retried(method: string, attempt: number, delayMs: number, error: Error): void {
    this.#stats.retries += 1;
    this.emit('retry', { method, attempt, delayMs, reason: error.message });
    this.#logger.debug('freeipa retry', { method, attempt, delayMs, error: error.message });
  }

  #countError(error: unknown): string {
    const name = errorName(error);
    this.#stats.errors[name] = (this.#stats.errors[name] ?? 0) + 1;
    return name;
  }

  #finished(event: RpcEvent): void {
    // Method names and durations only: params carry OTPs, replies carry keys.
    // One call per FreeIPA round trip: skip building the record unless it is kept.
    if (this.#logger.isDebugEnabled()) this.#logger.debug('freeipa call', {
      method: event.method,
      ...(event.methods ? { methods: event.methods } : {}),
      durationMs: Math.round(event.durationMs),
      outcome: event.outcome,
    });
    this.emit('rpc', event);
  }
}

function errorName(error: unknown): string {
  if (error instanceof FreeIpaError) return error.rpcName;
  return error instanceof Error ? error.name : 'Error';
}

function unboundedAbortController(): AbortController {
  const controller = new AbortController();
  setMaxListeners(0, controller.signal);
  return controller;
}
