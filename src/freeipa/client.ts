/**
 * The FreeIPA JSON-RPC client (design section 5): commands over
 * /ipa/session/json with the `ipa_session` cookie, one shared login,
 * re-login once on 401, `batch` for multi-operation changes, bounded
 * concurrency and retries, every call inside its deadline.
 *
 * Layers, one module each: transport.ts (HTTPS), session.ts (cookie and
 * single login), auth-*.ts (login methods), retry.ts, semaphore.ts,
 * codec.ts (envelope), commands.ts (builders).
 */
import { EventEmitter, setMaxListeners } from 'node:events';
import { readFileSync } from 'node:fs';
import type { LookupFunction } from 'node:net';
import type { Config } from '../config/types.js';
import type { Logger } from '../log/logger.js';
import { silentLogger } from '../log/logger.js';
import type { Authenticator } from './auth.js';
import { KerberosAuthenticator } from './auth-kerberos.js';
import { PasswordAuthenticator } from './auth-password.js';
import type { BatchItem } from './codec.js';
import { batchCommand, decodeBatch, decodeReply, encodeCall, protocolError } from './codec.js';
import type { IpaCommand } from './commands.js';
import { ping as pingCommand } from './commands.js';
import { checkDeadline, deadlineFrom } from './deadline.js';
import { CCacheError, FreeIpaAuthError, FreeIpaError, FreeIpaUnavailableError, TicketExpiredError } from './errors.js';
import { ServerStatusError, withRetries } from './retry.js';
import { PRIORITY, Semaphore, type Priority, type SlotStats } from './semaphore.js';
import { Session } from './session.js';
import type { SessionToken } from './session.js';
import { HttpsTransport } from './transport.js';
import type { HttpResponse } from './transport.js';

export type { BatchItem } from './codec.js';
export type { IpaCommand } from './commands.js';

export type FreeIpaAuthOptions =
  | { readonly kind: 'kerberos'; readonly keytab: string; readonly principal?: string | undefined }
  | { readonly kind: 'password'; readonly user: string; readonly password: string };

export interface FreeIpaClientOptions {
  /** Base URL, e.g. https://ipa.example.test/ipa. */
  readonly url: string;
  /** FreeIPA's canonical FQDN (TLS name, Referer, HTTP@<server>). Default: the URL's host. */
  readonly server: string;
  /** CA certificate(s) FreeIPA's TLS certificate must verify against. */
  readonly caFile: string;
  readonly auth: FreeIpaAuthOptions;
  /** API version sent with every command, e.g. 2.230. */
  readonly apiVersion: string;
  /** Budget of a call made without a deadline, and of a login. */
  readonly timeoutMs: number;
  /** Extra attempts after a network error or a 5xx. */
  readonly retries: number;
  /** Requests in flight towards FreeIPA at most. */
  readonly maxConcurrency: number;
  readonly logger?: Logger | undefined;
  readonly lookup?: LookupFunction | undefined;
}

export interface CallOptions {
  /** Absolute deadline in epoch milliseconds; default now + timeoutMs. */
  readonly deadline?: number | undefined;
  /** When FreeIPA is saturated, low-priority calls wait behind normal ones and are refused first. */
  readonly priority?: Priority | undefined;
}

/** One finished call or batch, for metrics. `outcome` is 'ok' or the error's class name. */
export interface RpcEvent {
  readonly method: string;
  /** For a batch, the methods of its items. */
  readonly methods?: readonly string[];
  readonly durationMs: number;
  readonly outcome: string;
  /** Items of a batch that failed. */
  readonly itemErrors?: number;
}

export interface LoginEvent {
  readonly kind: 'kerberos' | 'password';
  readonly durationMs: number;
  readonly outcome: string;
}

export interface RetryEvent {
  readonly method: string;
  readonly attempt: number;
  readonly delayMs: number;
  readonly reason: string;
}

/** A call that waited for a connection slot: how long, at which priority. */
export interface QueueEvent {
  readonly waitMs: number;
  readonly priority: Priority;
}

export interface FreeIpaClientEvents {
  rpc: [RpcEvent];
  queue: [QueueEvent];
  login: [LoginEvent];
  retry: [RetryEvent];
}

export interface FreeIpaClientStats {
  /** HTTP requests to /session/json (each attempt counts). */
  readonly roundTrips: number;
  /** Login exchanges (each attempt counts). */
  readonly logins: number;
  /** Retries after a network error or a 5xx. */
  readonly retries: number;
  /** Failed calls and failed batch items, by error class name. */
  readonly errors: Readonly<Record<string, number>>;
}

/** JSON errors that mean the session's credentials are gone: handled like a 401. */
function isSessionExpired(error: unknown): boolean {
  return error instanceof TicketExpiredError || error instanceof CCacheError;
}

export class FreeIpaClient extends EventEmitter<FreeIpaClientEvents> {
  readonly #options: FreeIpaClientOptions;
  readonly #logger: Logger;
  readonly #http: HttpsTransport;
  readonly #auth: Authenticator;
  readonly #session: Session;
  readonly #slots: Semaphore;
  // One listener per request in flight or queued: as many as max_concurrency and more, all removed when done.
  readonly #closing = unboundedAbortController();
  readonly #stats = { roundTrips: 0, logins: 0, retries: 0, errors: {} as Record<string, number> };
  #closed: Promise<void> | null = null;

  constructor(options: FreeIpaClientOptions) {
    super();
    if (!options.url) throw new TypeError('the FreeIPA URL is not set: set [freeipa] server (or url)');
    const server = options.server || new URL(options.url).hostname;
    this.#options = { ...options, server };
    if (!Number.isInteger(options.retries) || options.retries < 0) throw new RangeError('retries must be a non-negative integer');
    if (!(options.timeoutMs > 0)) throw new RangeError('timeoutMs must be positive');
    this.#logger = options.logger ?? silentLogger();
    this.#slots = new Semaphore(options.maxConcurrency, { onWait: (waitMs, priority) => this.emit('queue', { waitMs, priority }) });
    // One socket more than the request bound, so a login never waits for a
    // socket held by a request that is itself waiting for that login.
    this.#http = new HttpsTransport({
      url: options.url,
      server,
      caFile: options.caFile,
      maxSockets: options.maxConcurrency + 1,
      lookup: options.lookup,
    });
    this.#auth =
      options.auth.kind === 'kerberos'
        ? new KerberosAuthenticator({ server, keytab: options.auth.keytab, principal: options.auth.principal })
        : new PasswordAuthenticator(options.auth.user, options.auth.password);
    this.#session = new Session(() => this.#login());
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
    const deadline = deadlineFrom(opts, this.#options.timeoutMs);
    const started = performance.now();
    try {
      const result = (await this.#rpc(command, deadline, opts?.priority)) as T;
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
      const items = decodeBatch(await this.#rpc(batchCommand(commands), deadline, opts?.priority), commands.length);
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
  async ping(opts?: CallOptions): Promise<string> {
    return (await this.call(pingCommand(), opts)).summary;
  }

  /** Aborts what is in flight, closes the sockets; later calls fail. Safe to call twice. */
  close(): Promise<void> {
    this.#closed ??= (async () => {
      this.#closing.abort(new FreeIpaUnavailableError('the FreeIPA client is closed'));
      this.#http.close();
      this.#session.clear();
      await this.#auth.close();
    })();
    return this.#closed;
  }

  /** Login, session, retries: the command's JSON `result`, decoded. */
  async #rpc(command: IpaCommand<unknown>, deadline: number, priority: Priority = PRIORITY.normal): Promise<unknown> {
    if (this.#closing.signal.aborted) throw new FreeIpaUnavailableError('the FreeIPA client is closed');
    const body = encodeCall(command, this.#options.apiVersion);
    const what = `FreeIPA ${command.method}`;
    // A 401 means the session (or the ticket behind it) expired: log in
    // again once and repeat once. A second 401 right after a fresh login is
    // not an expiry but a refusal; looping would only hammer FreeIPA.
    for (let relogin = 0; ; relogin += 1) {
      checkDeadline(what, deadline);
      const session = await this.#session.ensure(deadline);
      const response = await withRetries(() => this.#post(body, session, deadline, what, priority), {
        retries: this.#options.retries,
        deadline,
        what,
        signal: this.#closing.signal,
        onRetry: (info) => this.#retried(command.method, info.attempt, info.delayMs, info.error),
      });
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
      this.#session.invalidate(session.generation);
      if (relogin >= 1) {
        throw new FreeIpaAuthError(`${what}: FreeIPA rejected the session right after a fresh login`, 'session-rejected');
      }
      this.#logger.debug('freeipa session expired, logging in again', { method: command.method });
    }
  }

  /** One HTTP attempt, inside a concurrency slot. */
  async #post(body: string, session: SessionToken, deadline: number, what: string, priority: Priority): Promise<HttpResponse> {
    const release = await this.#slots.acquire(deadline, this.#closing.signal, priority);
    try {
      this.#stats.roundTrips += 1;
      const response = await this.#http.request({
        method: 'POST',
        path: '/session/json',
        headers: {
          'Content-Type': 'application/json',
          Accept: 'application/json',
          'Accept-Language': 'en-us',
          Referer: this.#http.referer,
          Cookie: `ipa_session=${session.cookie}`,
        },
        body,
        deadline,
        what,
      });
      if (response.status >= 500) throw new ServerStatusError(response.status, what);
      if (response.status === 200) this.#session.refresh(session.generation, response.headers);
      return response;
    } finally {
      release();
    }
  }

  /** One shared login (session.ts), with its own deadline and the same retry rule as calls. */
  async #login(): Promise<string> {
    const deadline = Date.now() + this.#options.timeoutMs;
    const started = performance.now();
    const what = `FreeIPA ${this.#auth.kind} login`;
    try {
      const cookie = await withRetries(
        () => {
          this.#stats.logins += 1;
          return this.#auth.login(this.#http, deadline);
        },
        {
          retries: this.#options.retries,
          deadline,
          what,
          signal: this.#closing.signal,
          onRetry: (info) => this.#retried('login', info.attempt, info.delayMs, info.error),
        },
      );
      const durationMs = performance.now() - started;
      this.emit('login', { kind: this.#auth.kind, durationMs, outcome: 'ok' });
      this.#logger.debug('freeipa login', { kind: this.#auth.kind, durationMs: Math.round(durationMs) });
      return cookie;
    } catch (error) {
      const outcome = errorName(error);
      this.emit('login', { kind: this.#auth.kind, durationMs: performance.now() - started, outcome });
      // The message names the principal or user and the reason; no secret.
      this.#logger.warn('freeipa login failed', { kind: this.#auth.kind, error: (error as Error).message });
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

/**
 * The client described by the configuration. With auth = password the
 * password is read from password_file here, once, at start.
 */
export function clientFromConfig(config: Config, logger: Logger, overrides: Partial<FreeIpaClientOptions> = {}): FreeIpaClient {
  const ipa = config.freeipa;
  const auth: FreeIpaAuthOptions =
    overrides.auth ??
    (ipa.auth === 'password'
      ? { kind: 'password', user: ipa.user, password: readPassword(ipa.passwordFile) }
      : { kind: 'kerberos', keytab: ipa.keytab, principal: ipa.principal || undefined });
  return new FreeIpaClient({
    url: ipa.url,
    server: ipa.server,
    caFile: ipa.caFile,
    apiVersion: ipa.apiVersion,
    timeoutMs: ipa.timeoutMs,
    retries: ipa.retries,
    maxConcurrency: ipa.maxConcurrency,
    logger,
    ...overrides,
    auth,
  });
}

function readPassword(file: string): string {
  if (!file) throw new FreeIpaAuthError('[freeipa] auth = password needs password_file', 'config');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new FreeIpaAuthError(`cannot read [freeipa] password_file ${file}: ${(error as Error).message}`, 'config', { cause: error });
  }
  const password = text.replace(/\r?\n$/, '');
  if (!password) throw new FreeIpaAuthError(`[freeipa] password_file ${file} is empty`, 'config');
  return password;
}

function unboundedAbortController(): AbortController {
  const controller = new AbortController();
  setMaxListeners(0, controller.signal);
  return controller;
}
