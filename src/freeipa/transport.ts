/**
 * One HTTPS exchange with FreeIPA, and nothing else: no sessions, no
 * retries, no JSON-RPC. Connections are kept alive and bounded, TLS is
 * verified against the FreeIPA CA file, and the URL's host goes out as SNI
 * and Host: FreeIPA's Apache redirects any Host but its own name, so the URL
 * must name the server, not its address. Every request ends at the caller's
 * deadline.
 *
 * Failures come out typed: FreeIpaTlsError (verification; retrying the same
 * server cannot help), FreeIpaTimeoutError (the deadline passed), FreeIpaConnectError
 * (no connection: nothing was sent, so even a write may go to another
 * server), FreeIpaUnavailableError (the connection broke after the request
 * may have been sent). An HTTP status, 5xx included,
 * is not an error here: the caller decides.
 */
import { setMaxListeners } from 'node:events';
import { readFileSync } from 'node:fs';
import https from 'node:https';
import type { IncomingHttpHeaders } from 'node:http';
import type { LookupFunction } from 'node:net';
import { FreeIpaConnectError, FreeIpaTimeoutError, FreeIpaTlsError, FreeIpaUnavailableError } from './errors.js';
import { remaining, timeoutError } from './deadline.js';

export interface TransportOptions {
  /** Base URL, e.g. https://ipa.example.test/ipa (a port is allowed). */
  readonly url: string;
  /** FreeIPA's canonical FQDN: TLS name checked, SNI, Referer. */
  readonly server: string;
  readonly caFile: string;
  /** Sockets kept towards FreeIPA at most. */
  readonly maxSockets: number;
  /** Resolver override, so tests can verify ipa.example.test while connecting to 127.0.0.1. */
  readonly lookup?: LookupFunction | undefined;
  /** Largest response body accepted, in bytes. */
  readonly maxBodyBytes?: number;
}

export interface HttpRequest {
  readonly method: 'GET' | 'POST';
  /** Path below the base URL, e.g. /session/json. */
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body?: string;
  readonly deadline: number;
  /** What the request is for, used in error messages (never carries secrets). */
  readonly what: string;
}

export interface HttpResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** Error codes of a broken or refused connection: the request may be retried. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN',
  'ENETDOWN', 'EAI_AGAIN', 'ENOTFOUND', 'ECONNABORTED', 'ERR_STREAM_PREMATURE_CLOSE',
]);

/** OpenSSL / Node codes of a certificate that did not verify. */
const TLS_CODE = /CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY|DECRYPT)|ERR_TLS_|ERR_SSL_|HOSTNAME_MISMATCH|ALTNAME/;

export class HttpsTransport {
  readonly #base: URL;
  readonly #agent: https.Agent;
  readonly #options: TransportOptions;
  // One listener per request in flight or queued: as many as max_concurrency and more, all removed when done.
  readonly #closing = unboundedAbortController();

  constructor(options: TransportOptions) {
    this.#options = options;
    this.#base = new URL(options.url.replace(/\/+$/, ''));
    if (this.#base.protocol !== 'https:') throw new TypeError(`FreeIPA URL must be https: ${options.url}`);
    let ca: Buffer;
    try {
      ca = readFileSync(options.caFile);
    } catch (error) {
      throw new FreeIpaTlsError(`cannot read the FreeIPA CA file ${options.caFile}: ${(error as Error).message}`, { cause: error });
    }
    this.#agent = new https.Agent({
      keepAlive: true,
      maxSockets: options.maxSockets,
      maxFreeSockets: options.maxSockets,
      // Apache closes idle keep-alive connections after 5 s by default
      // (KeepAliveTimeout); dropping ours a little earlier avoids sending a
      // request down a socket the server is closing.
      timeout: 4_000,
      scheduling: 'lifo',
      ca,
      servername: options.server,
    });
  }

  /** The Referer FreeIPA demands: exactly https://<fqdn>/ipa, without a port (older servers compare by prefix). */
  get referer(): string {
    return `https://${this.#options.server}${this.#base.pathname}`;
  }

  async request(req: HttpRequest): Promise<HttpResponse> {
    try {
      return await this.#once(req);
    } catch (error) {
      // A kept-alive socket the server closed between two of our requests
      // fails at once with ECONNRESET/EPIPE, almost always before the server
      // read anything. One immediate retry on a fresh socket does not count
      // against the caller's retries; it is safe for the same reason every
      // retry is (callers make writes idempotent, see client.ts).
      if (error instanceof StaleSocketError) return this.#once(req);
      throw error;
    }
  }

  #once(req: HttpRequest): Promise<HttpResponse> {
    const left = remaining(req.deadline);
    if (left === 0) return Promise.reject(timeoutError(req.what, req.deadline));
    if (this.#closing.signal.aborted) return Promise.reject(new FreeIpaUnavailableError(`${req.what}: the FreeIPA client is closed`));
    // One controller per request, ended by the deadline or by close(); the
    // listeners are removed when the request settles, so the long-lived
    // closing signal does not accumulate them.
    const controller = new AbortController();
    const signal = controller.signal;
    const onClose = () => controller.abort(this.#closing.signal.reason);
    const timer = setTimeout(() => controller.abort(timeoutError(req.what, req.deadline)), left);
    this.#closing.signal.addEventListener('abort', onClose, { once: true });
    const settle = () => {
      clearTimeout(timer);
      this.#closing.signal.removeEventListener('abort', onClose);
    };
    const maxBody = this.#options.maxBodyBytes ?? 64 * 1024 * 1024;
    const headers: Record<string, string> = { ...req.headers };
    if (req.body !== undefined) headers['Content-Length'] = String(Buffer.byteLength(req.body));

    return new Promise<HttpResponse>((resolveRaw, rejectRaw) => {
      const resolve = (value: HttpResponse) => {
        settle();
        resolveRaw(value);
      };
      const reject = (error: Error) => {
        settle();
        rejectRaw(error);
      };
      const request = https.request(
        {
          protocol: 'https:',
          hostname: this.#base.hostname,
          port: this.#base.port || 443,
          path: `${this.#base.pathname}${req.path}`,
          method: req.method,
          headers,
          agent: this.#agent,
          servername: this.#options.server,
          ...(this.#options.lookup ? { lookup: this.#options.lookup } : {}),
          signal,
        },
        (response) => {
          const chunks: Buffer[] = [];
          let size = 0;
          response.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size > maxBody) {
              request.destroy(new FreeIpaUnavailableError(`${req.what}: response larger than ${maxBody} bytes`));
              return;
            }
            chunks.push(chunk);
          });
          response.on('end', () =>
            resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks).toString('utf8') }),
          );
          response.on('error', (error) => reject(this.#classify(error, req, signal, false, true)));
        },
      );
      // Until the TCP connection is up nothing can have reached FreeIPA.
      let connected = false;
      request.on('socket', (socket) => {
        if (!socket.connecting) connected = true;
        else socket.once('connect', () => (connected = true));
      });
      request.on('error', (error) => reject(this.#classify(error, req, signal, request.reusedSocket, connected)));
      request.end(req.body);
    });
  }

  #classify(error: Error, req: HttpRequest, signal: AbortSignal, reusedSocket: boolean, connected: boolean): Error {
    if (error instanceof FreeIpaUnavailableError || error instanceof FreeIpaTlsError) return error;
    if (this.#closing.signal.aborted) return new FreeIpaUnavailableError(`${req.what}: the FreeIPA client is closed`, { cause: error });
    if (signal.aborted) return new FreeIpaTimeoutError(`${req.what}: no answer from ${this.#base.host} before the deadline`, { cause: error });
    const code = (error as NodeJS.ErrnoException).code ?? '';
    if (TLS_CODE.test(code)) {
      return new FreeIpaTlsError(
        `${req.what}: the TLS certificate of ${this.#options.server} did not verify against the CA file ${this.#options.caFile} (${code}: ${error.message})`,
        { cause: error },
      );
    }
    if (reusedSocket && (code === 'ECONNRESET' || code === 'EPIPE')) return new StaleSocketError(error);
    const known = NETWORK_CODES.has(code) || /socket hang up/i.test(error.message);
    const Unavailable = connected ? FreeIpaUnavailableError : FreeIpaConnectError;
    return new Unavailable(
      `${req.what}: cannot reach FreeIPA at ${this.#base.host}${known ? '' : ' (unexpected error)'}: ${code ? `${code} ` : ''}${error.message}`,
      { cause: error },
    );
  }

  /** Aborts requests in flight and closes every socket. */
  close(): void {
    this.#closing.abort(new FreeIpaUnavailableError('the FreeIPA client is closed'));
    this.#agent.destroy();
  }
}

/** Internal: the request failed on a kept-alive socket before reaching the server. */
class StaleSocketError extends FreeIpaUnavailableError {
  constructor(cause: Error) {
    super(`connection reset on a reused keep-alive socket: ${cause.message}`, { cause });
    this.name = 'FreeIpaUnavailableError';
  }
}

function unboundedAbortController(): AbortController {
  const controller = new AbortController();
  setMaxListeners(0, controller.signal);
  return controller;
}
