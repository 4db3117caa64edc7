/**
 * What may be sent again to another FreeIPA server after a failure, and the
 * periodic refresh of the server list from DNS.
 *
 * Retrying elsewhere. FreeIPA replicas share their data (multi-master
 * replication), so a command can run on any of them; the question is only
 * whether the first attempt may already have run:
 * - nothing was sent (connection refused, unreachable, DNS): any command
 *   goes to the next server;
 * - a read (`*_show`, `*_find`, `ping`, a batch of only those) goes to the
 *   next server whatever happened, reading twice changes nothing;
 * - a write whose answer was lost (reset after sending, 5xx) is not resent.
 *   The caller gets FreeIpaOutcomeUnknownError and re-plans from a fresh
 *   read: the join flow reads the host again and answers from what is there
 *   (the OTP is derived from the binding, so a host_add that did run gives
 *   the same OTP), the notification listener requeues the event and plans
 *   the delete again from what FreeIPA then holds, resync plans on its next
 *   run. A single write repeated by such a re-plan stays correct because
 *   each of novajoin's writes is idempotent in effect: host_add gives
 *   DuplicateEntry (the join reads the binding), host_del and service_del
 *   NotFound (already gone), host_mod with the same OTP EmptyModlist,
 *   member adds "already a member", dnsrecord_add/del EmptyModlist /
 *   AttrValueNotFound. A batch is never resent as is, because its items were
 *   planned from a read that may no longer be true.
 */
import type { Logger } from '../log/logger.js';
import type { IpaCommand } from './commands.js';
import { srvTtl } from './dns-ttl.js';
import { discoverServers, type DiscoveryOptions } from './srv.js';
import type { ServerEndpoint } from './server-pool.js';

const READ_ONLY = /^(ping|env|whoami|i18n_messages|.*_(show|find))$/;

/** True when running the command twice cannot change FreeIPA. */
export function isReadOnly(command: IpaCommand<unknown>): boolean {
  if (command.method !== 'batch') return READ_ONLY.test(command.method.replace(/\/\d+$/, ''));
  return command.args.every((item) => {
    const method = (item as { method?: unknown } | null)?.method;
    return typeof method === 'string' && READ_ONLY.test(method.replace(/\/\d+$/, ''));
  });
}

export interface DiscoveryConfig extends DiscoveryOptions {
  /** Base URL with {server} for the FQDN, e.g. https://{server}/ipa. */
  readonly urlTemplate: string;
  /** Longest time between two lookups of the SRV records; also the interval when their TTL is unknown. */
  readonly refreshMs: number;
  /** Shortest time between two lookups, however short the records' TTL (default 30 s). */
  readonly minRefreshMs?: number | undefined;
}

export function urlFor(template: string, server: string): string {
  return template.replaceAll('{server}', server).replace(/\/+$/, '');
}

/**
 * Keeps the server list in step with DNS: a first lookup before the first
 * call, then one every refreshMs. A failed refresh keeps the last list (a
 * DNS hiccup must not empty it); a failed first lookup is the call's error.
 */
export class DiscoveryRefresher {
  readonly #config: DiscoveryConfig;
  readonly #apply: (endpoints: ServerEndpoint[]) => void;
  readonly #logger: Logger;
  readonly #discover: typeof discoverServers;
  #first: Promise<void> | null = null;
  #timer: NodeJS.Timeout | null = null;
  #known = '';
  #stopped = false;
  lastQuery: string | null = null;
  /** When the next lookup was scheduled after the last successful one, ms. */
  nextRefreshMs: number | null = null;
  lastError: string | null = null;

  readonly #hasServers: () => boolean;

  /** @param hasServers whether a list is already there (the configured servers): then a failed first lookup is not the call's error. */
  constructor(config: DiscoveryConfig, apply: (endpoints: ServerEndpoint[]) => void, logger: Logger, hasServers: () => boolean, discover: typeof discoverServers = discoverServers) {
    this.#config = config;
    this.#apply = apply;
    this.#logger = logger;
    this.#hasServers = hasServers;
    this.#discover = discover;
  }

  /**
   * Resolves once a list is known. A first lookup that fails is retried by
   * the next call, unless configured servers stand in meanwhile (the periodic
   * lookup goes on, so calls do not each wait for a DNS that is down).
   */
  ready(): Promise<void> {
    this.#first ??= this.refresh(true).catch((error: unknown) => {
      if (this.#hasServers()) {
        this.#logger.warn('freeipa server discovery failed; using the configured servers until DNS answers', { error: (error as Error).message });
        return;
      }
      this.#first = null;
      throw error;
    });
    return this.#first;
  }

  async refresh(first = false): Promise<void> {
    let nextMs = this.#config.refreshMs;
    try {
      const found = await this.#discover(this.#config);
      const ttl = await srvTtl(found.query, this.#config.dnsServers, this.#config.timeoutMs);
      if (ttl !== null) nextMs = Math.max(this.#config.minRefreshMs ?? 30_000, Math.min(this.#config.refreshMs, ttl * 1000));
      this.nextRefreshMs = nextMs;
      this.lastQuery = found.query;
      this.lastError = null;
      const endpoints = found.targets.map((t) => ({ name: t.name, url: urlFor(this.#config.urlTemplate, t.name) }));
      const names = endpoints.map((e) => e.name).join(',');
      if (names !== this.#known) {
        this.#logger.info('freeipa servers from DNS', { query: found.query, servers: endpoints.map((e) => e.name) });
        this.#known = names;
      }
      this.#apply(endpoints);
    } catch (error) {
      this.lastError = (error as Error).message;
      // A failed lookup is tried again soon, not after the longest interval.
      nextMs = Math.min(this.#config.refreshMs, this.#config.minRefreshMs ?? 30_000);
      if (first) throw error;
      this.#logger.warn('freeipa server discovery failed; keeping the last list', { error: this.lastError });
    } finally {
      this.#schedule(nextMs);
    }
  }

  #schedule(ms: number): void {
    if (this.#timer) clearTimeout(this.#timer);
    if (this.#stopped) return;
    this.#timer = setTimeout(() => void this.refresh(), ms);
    this.#timer.unref();
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
  }
}
