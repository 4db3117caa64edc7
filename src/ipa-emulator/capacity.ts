/**
 * FreeIPA's capacity, for the benchmark and the overload tests: a real
 * FreeIPA answers JSON-RPC in a few mod_wsgi processes (`workers`), one
 * request each at a time, the rest waiting in Apache's queue in arrival
 * order; a request holds its worker for a service time set by what it does.
 *
 * Service time of one request: `writeMs` when a command in it changed
 * state, else `readMs`, plus `itemMs` for each further command of a batch.
 * Most of a FreeIPA request is spent outside the command (WSGI dispatch, the
 * session's credentials, the LDAP bind each request makes), which a further
 * batch item does not repeat. A write FreeIPA refused before changing
 * anything (DuplicateEntry, NotFound) costs as a read: the directory
 * refused it before any plugin ran.
 */
import type { RpcResponse } from './engine.js';

export interface CapacityOptions {
  readonly workers: number;
  readonly readMs: number;
  readonly writeMs: number;
  /** Each command of a batch after the first. */
  readonly itemMs: number;
}

export interface CapacityStats {
  /** Requests served. */
  readonly served: number;
  /** Requests waiting for a worker now, and at most. */
  readonly queued: number;
  readonly maxQueued: number;
  /** Worker time spent, ms (busy / (workers x elapsed) is the utilisation). */
  readonly busyMs: number;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class CapacityModel {
  readonly options: CapacityOptions;
  readonly #isWrite: (method: string) => boolean;
  readonly #waiting: Array<() => void> = [];
  #free: number;
  #stats = { served: 0, maxQueued: 0, busyMs: 0 };

  constructor(options: CapacityOptions, isWrite: (method: string) => boolean) {
    if (!Number.isInteger(options.workers) || options.workers < 1) throw new RangeError('workers must be a positive integer');
    this.options = options;
    this.#isWrite = isWrite;
    this.#free = options.workers;
  }

  get stats(): CapacityStats {
    return { ...this.#stats, queued: this.#waiting.length };
  }

  resetStats(): void {
    this.#stats = { served: 0, maxQueued: this.#waiting.length, busyMs: 0 };
  }

  /** Runs one JSON-RPC request on a worker, holding it for the request's service time. */
  async serve(body: string, run: () => Promise<RpcResponse>): Promise<RpcResponse> {
    await this.#worker();
    const started = performance.now();
    try {
      const response = await run();
      const cost = this.cost(body, response);
      await sleep(Math.max(0, cost - (performance.now() - started)));
      return response;
    } finally {
      this.#stats.served += 1;
      this.#stats.busyMs += performance.now() - started;
      const next = this.#waiting.shift();
      if (next) next();
      else this.#free += 1;
    }
  }

  /** Service time of a request and its answer, ms. */
  cost(body: string, response: RpcResponse): number {
    const { readMs, writeMs, itemMs } = this.options;
    let request: { method?: unknown; params?: unknown };
    try {
      request = JSON.parse(body) as typeof request;
    } catch {
      return readMs;
    }
    const method = String(request.method ?? '');
    if (method !== 'batch') return this.#isWrite(method) && response.error === null ? writeMs : readMs;
    const items = (Array.isArray(request.params) && Array.isArray(request.params[0]) ? request.params[0] : []) as Array<{ method?: unknown }>;
    const results = ((response.result as { result?: { results?: Array<{ error?: unknown }> } } | null)?.result?.results ?? []);
    const wrote = items.some((item, i) => this.#isWrite(String(item?.method ?? '')) && results[i] !== undefined && results[i]?.error === null);
    return (wrote ? writeMs : readMs) + Math.max(0, items.length - 1) * itemMs;
  }

  #worker(): Promise<void> {
    if (this.#free > 0) {
      this.#free -= 1;
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => {
      this.#waiting.push(resolve);
      this.#stats.maxQueued = Math.max(this.#stats.maxQueued, this.#waiting.length);
    });
  }
}
