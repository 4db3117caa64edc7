/**
 * The one place where the OpenStack adapters touch the network: fetch with a
 * deadline, transport failures turned into DependencyUnavailable, and a CA
 * bundle honoured when one is configured.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { DependencyUnavailable } from '../errors.js';

export type Fetch = (input: string | URL, init?: RequestInit) => Promise<Response>;

export interface CallOptions {
  /** Which dependency this is, for error messages and DependencyUnavailable.dependency. */
  readonly dependency: string;
  readonly timeoutMs: number;
  /** The caller's own budget (e.g. the join request's remaining time). */
  readonly signal?: AbortSignal | undefined;
  readonly fetch: Fetch;
}

export interface HttpResult {
  readonly status: number;
  readonly headers: Headers;
  /** Parsed JSON body, or undefined when the body was empty or not JSON. */
  readonly body: unknown;
}

/**
 * Performs one request and reads its body, both under the same deadline.
 * Any transport failure or timeout becomes DependencyUnavailable; HTTP
 * statuses are returned for the caller to interpret, except 5xx, which always
 * means the dependency is unavailable.
 */
export async function call(url: string, init: RequestInit, options: CallOptions): Promise<HttpResult> {
  const { dependency } = options;
  const where = describe(url, init.method);
  // One controller per call rather than AbortSignal.any: `any` keeps every
  // derived signal alive as long as the source, which leaks when the caller's
  // signal lives long (a shutdown signal, say).
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort(new DOMException(`timed out after ${options.timeoutMs} ms`, 'TimeoutError'));
  }, options.timeoutMs);
  const onCallerAbort = () => controller.abort(options.signal?.reason);
  if (options.signal?.aborted) onCallerAbort();
  else options.signal?.addEventListener('abort', onCallerAbort, { once: true });
  let status: number;
  let headers: Headers;
  let text: string;
  try {
    const response = await options.fetch(url, { ...init, signal: controller.signal, redirect: 'manual' });
    status = response.status;
    headers = response.headers;
    text = await response.text();
  } catch (error) {
    if (timedOut) {
      throw new DependencyUnavailable(dependency, `${dependency} did not answer ${where} within ${options.timeoutMs} ms`, { cause: error });
    }
    if (options.signal?.aborted) {
      throw new DependencyUnavailable(dependency, `${where} was abandoned: the request's time budget ran out`, { cause: error });
    }
    throw new DependencyUnavailable(dependency, `${dependency} is unreachable (${where}): ${reason(error)}`, { cause: error });
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onCallerAbort);
  }
  if (status >= 500) {
    throw new DependencyUnavailable(dependency, `${dependency} answered ${where} with HTTP ${status}`);
  }
  return { status, headers, body: parseJson(text) };
}

function parseJson(text: string): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** "GET http://host:port/path" without the query string (it can carry ids, never secrets, but keep lines short). */
export function describe(url: string, method = 'GET'): string {
  const parsed = new URL(url);
  return `${method} ${parsed.origin}${parsed.pathname}`;
}

function reason(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  if (cause?.code) return cause.code;
  if (cause?.message) return cause.message;
  return error instanceof Error ? error.message : String(error);
}

/**
 * The fetch to use for a CA bundle. Node's global fetch cannot take a per-call
 * CA without undici's Agent (not a dependency of ours), so with a CA file we
 * speak node:https with that CA and a keep-alive agent, behind the same
 * fetch-shaped function. Without one, the global fetch (system CAs) is used.
 */
export function fetchFor(cafile: string): Fetch {
  if (!cafile) return globalThis.fetch.bind(globalThis);
  const ca = readFileSync(cafile);
  const agent = new https.Agent({ ca, keepAlive: true });
  return (input, init) => nodeFetch(new URL(input), init ?? {}, agent);
}

const httpAgent = new http.Agent({ keepAlive: true });

function nodeFetch(url: URL, init: RequestInit, agent: https.Agent): Promise<Response> {
  const secure = url.protocol === 'https:';
  const headers = Object.fromEntries(new Headers(init.headers).entries());
  return new Promise((resolve, reject) => {
    const request = (secure ? https : http).request(url, {
      method: init.method ?? 'GET',
      headers,
      agent: secure ? agent : httpAgent,
      signal: init.signal ?? undefined,
    });
    request.on('error', reject);
    request.on('response', (incoming) => {
      const chunks: Buffer[] = [];
      incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
      incoming.on('error', reject);
      incoming.on('end', () => {
        const responseHeaders = new Headers();
        for (const [name, value] of Object.entries(incoming.headers)) {
          if (Array.isArray(value)) for (const item of value) responseHeaders.append(name, item);
          else if (value !== undefined) responseHeaders.set(name, value);
        }
        const status = incoming.statusCode ?? 502;
        const empty = status === 204 || status === 304 || chunks.length === 0;
        resolve(new Response(empty ? null : Buffer.concat(chunks), { status, headers: responseHeaders }));
      });
    });
    if (typeof init.body === 'string') request.end(init.body);
    else request.end();
  });
}

/** Puts a version segment on a catalog URL that lacks one ("http://glance:9292" -> ".../v2"). */
export function versioned(base: string, version: string): string {
  const trimmed = base.replace(/\/+$/, '');
  return /\/v\d+(\.\d+)?(\/|$)/.test(new URL(trimmed).pathname) ? trimmed : `${trimmed}/${version}`;
}

/**
 * Waits for shared work (a coalesced call) unless this caller's own budget
 * runs out first; the work itself goes on for the others who wait on it.
 */
export function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined, dependency: string): Promise<T> {
  if (!signal) return promise;
  // The shared work may fail after this caller has gone: that is not an unhandled rejection.
  promise.catch(() => undefined);
  const spent = () => new DependencyUnavailable(dependency, `the request's time budget ran out while waiting for ${dependency}`);
  if (signal.aborted) return Promise.reject(spent());
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(spent());
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
