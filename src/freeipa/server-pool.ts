/**
 * Which FreeIPA server a call goes to. The servers are kept in preference
 * order (the configured list, or RFC 2782 order of the SRV records); a call
 * takes the first one that is up, so its session stays warm and load moves
 * only when a server fails. A server that fails at the connection level or
 * answers 5xx is down for a backoff period that doubles while it keeps
 * failing; after it, the next call to it is the probe. When every server is
 * down the one that comes back first is tried anyway: refusing to try would
 * turn a short outage into a certain failure.
 */

export interface ServerEndpoint {
  /** FQDN: TLS name, Referer, HTTP@<name>. */
  readonly name: string;
  /** Base URL, https://<name>[:port]/ipa. */
  readonly url: string;
}

export interface ServerHealth {
  readonly name: string;
  readonly url: string;
  readonly state: 'up' | 'down';
  /** Epoch ms from which calls may try it again (past: due for a retry); null when up. */
  readonly downUntil: number | null;
  /** The last failure's message, kept after recovery; null if it never failed. */
  readonly lastError: string | null;
  readonly lastErrorAt: number | null;
}

export interface Backoff {
  readonly initialMs: number;
  readonly maxMs: number;
}

interface Entry<R> {
  readonly endpoint: ServerEndpoint;
  readonly replica: R;
  failures: number;
  downUntil: number;
  lastError: string | null;
  lastErrorAt: number | null;
}

export class ServerPool<R> {
  #entries: Entry<R>[] = [];
  readonly #make: (endpoint: ServerEndpoint) => R;
  readonly #backoff: Backoff;
  readonly #now: () => number;

  constructor(make: (endpoint: ServerEndpoint) => R, backoff: Backoff, now: () => number = Date.now) {
    this.#make = make;
    this.#backoff = backoff;
    this.#now = now;
  }

  get size(): number {
    return this.#entries.length;
  }

  /**
   * Replaces the list (a discovery refresh). A server already known keeps
   * its replica (session, sockets) and its health; the dropped ones are returned to be closed.
   */
  set(endpoints: readonly ServerEndpoint[]): R[] {
    const old = new Map(this.#entries.map((e) => [`${e.endpoint.name} ${e.endpoint.url}`, e]));
    this.#entries = endpoints.map((endpoint) => {
      const key = `${endpoint.name} ${endpoint.url}`;
      const kept = old.get(key);
      old.delete(key);
      return kept ?? { endpoint, replica: this.#make(endpoint), failures: 0, downUntil: 0, lastError: null, lastErrorAt: null };
    });
    return [...old.values()].map((e) => e.replica);
  }

  /** The server to try next, skipping `tried`: the first that is up, else the one back soonest. */
  pick(tried: ReadonlySet<R> = new Set()): { replica: R; endpoint: ServerEndpoint; up: boolean } | null {
    const now = this.#now();
    const fresh = this.#entries.filter((e) => !tried.has(e.replica));
    const pool = fresh.length > 0 ? fresh : this.#entries;
    const up = pool.find((e) => e.downUntil <= now);
    const chosen = up ?? [...pool].sort((a, b) => a.downUntil - b.downUntil)[0];
    return chosen ? { replica: chosen.replica, endpoint: chosen.endpoint, up: up !== undefined } : null;
  }

  /** Takes the server out; the period doubles only when it failed while counted as up (concurrent failures count once). */
  /** Returns the time the server is out until when this failure took it out, else null. */
  failed(replica: R, error: Error): number | null {
    const entry = this.#entries.find((e) => e.replica === replica);
    if (!entry) return null;
    const now = this.#now();
    entry.lastError = error.message;
    entry.lastErrorAt = now;
    if (entry.downUntil > now) return null;
    entry.failures += 1;
    const period = Math.min(this.#backoff.maxMs, this.#backoff.initialMs * 2 ** (entry.failures - 1));
    // Jitter so that replicas of novajoin do not all probe at the same moment.
    entry.downUntil = now + Math.round(period * (0.75 + Math.random() * 0.25));
    return entry.downUntil;
  }

  /** Returns true when the server had been failing (it is back). */
  succeeded(replica: R): boolean {
    const entry = this.#entries.find((e) => e.replica === replica);
    if (!entry || (entry.failures === 0 && entry.downUntil === 0)) return false;
    entry.failures = 0;
    entry.downUntil = 0;
    return true;
  }

  health(): ServerHealth[] {
    // A server stays down until a call to it succeeds: the end of its backoff only
    // means it may be tried again, not that it is back (a dead replica nobody has
    // called since would otherwise show up as healthy).
    return this.#entries.map((e) => ({
      name: e.endpoint.name,
      url: e.endpoint.url,
      state: e.failures > 0 ? 'down' : 'up',
      downUntil: e.failures > 0 ? e.downUntil : null,
      lastError: e.lastError,
      lastErrorAt: e.lastErrorAt,
    }));
  }

  replicas(): R[] {
    return this.#entries.map((e) => e.replica);
  }
}
