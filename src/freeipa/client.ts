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
 * retry.ts, semaphore.ts, codec.ts (envelope), commands.ts (builders),
 * replica.ts (one server's sockets and login), failover-loop.ts (the
 * attempts of a call), attempt.ts (one attempt on one server),
 * client-telemetry.ts (events, log lines, counters).
 */
import { EventEmitter, setMaxListeners } from 'node:events';
import type { LookupFunction } from 'node:net';
import { silentLogger } from '../log/logger.js';
import { attemptOnServer } from './attempt.js';
import { ClientTelemetry } from './client-telemetry.js';
import type { BatchItem } from './codec.js';
import { batchCommand, decodeBatch, encodeCall } from './codec.js';
import type { IpaCommand } from './commands.js';
import { ping as pingCommand } from './commands.js';
import { deadlineFrom, raceDeadline } from './deadline.js';
import { FreeIpaUnavailableError } from './errors.js';
import { tryServers } from './failover-loop.js';
import { DiscoveryRefresher, isReadOnly } from './failover.js';
import { openReplica, type Replica } from './replica.js';
import { PRIORITY, Semaphore, type Priority, type SlotStats } from './semaphore.js';
import { ServerPool, type ServerHealth } from './server-pool.js';
import { makeResolver, resolverLookup } from './srv.js';
import type { CallOptions, FreeIpaClientEvents, FreeIpaClientOptions, FreeIpaClientStats } from './client-types.js';

export type { BatchItem } from './codec.js';
export type { IpaCommand } from './commands.js';
export type { ServerEndpoint, ServerHealth } from './server-pool.js';
export type { DiscoveryConfig } from './failover.js';

export type {
  CallOptions, FreeIpaAuthOptions, FreeIpaClientEvents, FreeIpaClientOptions, FreeIpaClientStats, LoginEvent, QueueEvent, RetryEvent, RpcEvent, ServerEvent,
} from './client-types.js';
export { clientFromConfig } from './client-config.js';

export class FreeIpaClient extends EventEmitter<FreeIpaClientEvents> {
  readonly #options: FreeIpaClientOptions;
  readonly #telemetry: ClientTelemetry;
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
  #closed: Promise<void> | null = null;

  constructor(options: FreeIpaClientOptions) {
    super();
    const single = !options.servers?.length && !options.discovery;
    if (single && !options.url) throw new TypeError('the FreeIPA URL is not set: set [freeipa] server (or url)');
    const server = options.server || (options.url ? new URL(options.url).hostname : '');
    this.#options = { ...options, server };
    if (!Number.isInteger(options.retries) || options.retries < 0) throw new RangeError('retries must be a non-negative integer');
    if (!(options.timeoutMs > 0)) throw new RangeError('timeoutMs must be positive');
    const logger = options.logger ?? silentLogger();
    this.#telemetry = new ClientTelemetry(this, logger);
    this.#slots = new Semaphore(options.maxConcurrency, { onWait: (waitMs, priority) => this.emit('queue', { waitMs, priority }) });
    this.#lookup = options.lookup ?? (options.dnsServers?.length ? resolverLookup(makeResolver(options.dnsServers, options.timeoutMs)) : undefined);
    this.#pool = new ServerPool((endpoint) => openReplica(endpoint, this.#options, this.#lookup, this.#telemetry), options.serverBackoff ?? { initialMs: 2_000, maxMs: 60_000 });
    const configured = options.servers?.length ? options.servers : options.url ? [{ name: server, url: options.url }] : [];
    // Built now so that a wrong CA file fails at start, as with one server.
    this.#pool.set(configured);
    this.#discovery = options.discovery
      ? new DiscoveryRefresher(
          { ...options.discovery, dnsServers: options.discovery.dnsServers ?? options.dnsServers },
          (endpoints) => this.#pool.set(endpoints),
          logger,
          () => this.#pool.size > 0,
        )
      : null;
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
    return this.#telemetry.stats;
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
      this.#telemetry.finished({ method: command.method, durationMs: performance.now() - started, outcome: 'ok' });
      return result;
    } catch (error) {
      this.#telemetry.finished({ method: command.method, durationMs: performance.now() - started, outcome: this.#telemetry.countError(error) });
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
          this.#telemetry.countError(item.error);
        }
      }
      this.#telemetry.finished({ method: 'batch', methods, durationMs: performance.now() - started, outcome: 'ok', itemErrors });
      return items;
    } catch (error) {
      this.#telemetry.finished({ method: 'batch', methods, durationMs: performance.now() - started, outcome: this.#telemetry.countError(error) });
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
    if (this.#discovery) await raceDeadline(this.#discovery.ready(), deadline, 'finding FreeIPA servers in DNS');
    const body = encodeCall(command, this.#options.apiVersion);
    const what = `FreeIPA ${command.method}`;
    const method = command.method;
    const call = { what, method, readOnly: isReadOnly(command), deadline, retries: this.#options.retries };
    const closing = this.#closing.signal;
    return tryServers(
      this.#pool,
      call,
      (replica, deadlines, sent) => attemptOnServer(replica, { body, what, method, deadlines, sent, slots, priority }, closing, this.#telemetry),
      closing,
      this.#telemetry,
    );
  }
}

function unboundedAbortController(): AbortController {
  const controller = new AbortController();
  setMaxListeners(0, controller.signal);
  return controller;
}
