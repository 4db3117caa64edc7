/**
 * The test FreeIPA server as one object: a directory (memory or 389-ds), the
 * command engine, sessions and the HTTP(S) front, plus the hooks tests and
 * the benchmark need: per-request latency, an outage switch (refuse, hang,
 * HTTP 500), counters of round trips, commands and writes, session expiry
 * on demand, direct reads of stored entries, and the guest's enrollment.
 */
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Server as TlsServer } from 'node:tls';
import type { Socket } from 'node:net';
import { CertificateAuthority } from './ca/authority.js';
import { CapacityModel, type CapacityOptions, type CapacityStats } from './capacity.js';
import { Engine } from './engine.js';
import { simulateEnrollment, type EnrollmentResult } from './enrollment.js';
import { createRequestHandler, type Authenticators, type HttpStats } from './http.js';
import { closeIdleConnectionsCleanly } from './keep-alive.js';
import { dnOf, makeEnv, seedEntries, type EnvOptions, type IpaEnv, type SeedOptions } from './layout.js';
import { MemoryStore } from './memory-store.js';
import { SessionTable } from './sessions.js';
import type { IpaEntry, IpaStore } from './store.js';
import type { RpcResponse } from './engine.js';
import { formatPrincipal, parsePrincipal } from './commands/principal.js';

export type EmulatorMode = 'up' | 'refuse' | 'hang' | 'error500';

export interface IpaEmulatorOptions {
  /** Realm, domain, server name...; defaults: EXAMPLE.TEST, example.test, ipa.example.test. */
  readonly env?: EnvOptions | IpaEnv;
  /** Defaults to a seeded MemoryStore. A given store must already hold the base tree. */
  readonly store?: IpaStore;
  readonly seed?: SeedOptions;
  readonly authenticators: Authenticators;
  /** HTTPS with this certificate; plain HTTP without (in-process `novajoin dev`). */
  readonly tls?: { readonly cert: string | Buffer; readonly key: string | Buffer };
  /** Listen address; loopback by default. */
  readonly host?: string;
  /** 0 or absent: a free port. */
  readonly port?: number;
  /** Cookie session lifetime; FreeIPA's follows the ticket life, 24 h by default. */
  readonly sessionLifetimeMs?: number;
  readonly latencyMs?: number;
  /** FreeIPA's workers and service times (capacity.ts); absent: every request at once. */
  readonly capacity?: CapacityOptions;
  /** Principals allowed to change state (others get ACIError); absent: all. */
  readonly writers?: readonly string[];
  readonly randomPassword?: () => string;
  /**
   * PEM of the CA hosts' and services' certificates come from (FreeIPA with
   * its CA). Absent: a server without a CA (ca_enabled false), where
   * deletes revoke nothing and cert_show answers 'CA is not configured'.
   */
  readonly caCertificate?: string | Buffer | CertificateAuthority;
  /** Apache's KeepAliveTimeout: idle connections are closed (cleanly) after this long. Default 5 s. */
  readonly keepAliveTimeoutMs?: number;
}

export interface EmulatorCounters {
  /** HTTP JSON-RPC requests (/ipa/json and /ipa/session/json). */
  readonly roundTrips: number;
  readonly logins: number;
  /** Every HTTP request. */
  readonly requests: number;
  /** Commands that changed state, each batch item counted; a refused one (DuplicateEntry...) is not. */
  readonly writes: number;
  /** Commands run, by name (batch items included, `batch` itself too). */
  readonly commands: Readonly<Record<string, number>>;
}

export interface IpaEmulator {
  readonly env: IpaEnv;
  readonly store: IpaStore;
  readonly engine: Engine;
  /** The CA, or null without one. */
  readonly ca: CertificateAuthority | null;
  readonly port: number;
  /** `https://<serverName>:<port>/ipa` (or http:// without TLS). */
  readonly url: string;
  setLatency(ms: number): void;
  /** Serves JSON-RPC as FreeIPA's few workers do (capacity.ts); null: every request at once. */
  setCapacity(options: CapacityOptions | null): void;
  /** The capacity model's counters; null without one. */
  capacityStats(): CapacityStats | null;
  setMode(mode: EmulatorMode): Promise<void>;
  readonly mode: EmulatorMode;
  /** Serves another certificate from now on (open connections are dropped): a replica whose certificate was renewed wrong. */
  setCertificate(tls: { readonly cert: string | Buffer; readonly key: string | Buffer }): void;
  /** Ends every cookie session now: the next session call gets 401. */
  expireSessions(): void;
  setSessionLifetime(ms: number): void;
  counters(): EmulatorCounters;
  resetCounters(): void;
  getHost(fqdn: string): Promise<IpaEntry | null>;
  getService(principal: string): Promise<IpaEntry | null>;
  getEntry(dn: string): Promise<IpaEntry | null>;
  /** What ipa-join + ipa-getkeytab do with an OTP (throws EnrollmentError like ipa-join's exit codes). */
  simulateEnrollment(fqdn: string, otp: string): Promise<EnrollmentResult>;
  /** A JSON-RPC call straight into the engine (test setup), as `principal`. */
  rpc(method: string, args?: unknown[], options?: Record<string, unknown>, principal?: string): Promise<RpcResponse>;
  close(): Promise<void>;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export async function startIpaEmulator(opts: IpaEmulatorOptions): Promise<IpaEmulator> {
  const env: IpaEnv = opts.env && 'apiVersion' in opts.env ? opts.env : makeEnv(opts.env as EnvOptions | undefined);
  const store = opts.store ?? new MemoryStore(seedEntries(env, opts.seed));
  // A CA object is shared as given (replicas of one deployment share its records).
  const ca = opts.caCertificate instanceof CertificateAuthority ? opts.caCertificate : opts.caCertificate ? new CertificateAuthority(opts.caCertificate) : null;
  const engine = new Engine({
    env,
    store,
    ca,
    ...(opts.writers ? { writers: opts.writers } : {}),
    ...(opts.randomPassword ? { randomPassword: opts.randomPassword } : {}),
  });
  const sessions = new SessionTable(opts.sessionLifetimeMs ?? 24 * 3600 * 1000);
  const stats: HttpStats = { roundTrips: 0, logins: 0, requests: 0 };
  let latencyMs = opts.latencyMs ?? 0;
  const model = (options: CapacityOptions) => new CapacityModel(options, (method) => engine.lookup(method)?.write === true);
  let capacity: CapacityModel | null = opts.capacity ? model(opts.capacity) : null;
  let mode: EmulatorMode = 'up';
  let port = opts.port ?? 0;
  const host = opts.host ?? '127.0.0.1';
  const sockets = new Set<Socket>();
  const held = new Set<ServerResponse>();

  const handler = createRequestHandler({
    engine,
    sessions,
    authenticators: opts.authenticators,
    stats,
    port: () => port,
    serve: () => {
      const current = capacity;
      return current ? (body, run) => current.serve(body, run) : null;
    },
  });
  const onRequest = async (req: IncomingMessage, res: ServerResponse) => {
    stats.requests++;
    if (mode === 'hang') {
      // Read nothing, answer nothing: the client's deadline must fire.
      held.add(res);
      res.on('close', () => held.delete(res));
      return;
    }
    if (latencyMs > 0) await sleep(latencyMs);
    if (mode === 'error500') {
      req.resume();
      const body = '<html><head><title>500 Internal Server Error</title></head><body><h1>Internal Server Error</h1></body></html>';
      res.writeHead(500, { 'Content-Type': 'text/html; charset=iso-8859-1', 'Content-Length': Buffer.byteLength(body) });
      res.end(body);
      return;
    }
    await handler(req, res);
  };
  let idle: (req: IncomingMessage, res: ServerResponse) => void = () => {};
  const listener = (req: IncomingMessage, res: ServerResponse) => {
    idle(req, res);
    void onRequest(req, res);
  };
  const server: Server = opts.tls ? createHttpsServer({ cert: opts.tls.cert, key: opts.tls.key }, listener) : createHttpServer(listener);
  idle = closeIdleConnectionsCleanly(server, opts.keepAliveTimeoutMs ?? 5000);
  server.on('connection', (socket: Socket) => {
    if (mode === 'refuse') {
      socket.destroy();
      return;
    }
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  const listen = () =>
    new Promise<void>((resolve, reject) => {
      const onError = (err: Error) => reject(err);
      server.once('error', onError);
      server.listen(port, host, () => {
        server.off('error', onError);
        const address = server.address();
        if (address && typeof address === 'object') port = address.port;
        resolve();
      });
    });
  const stopListening = () => new Promise<void>((resolve) => server.close(() => resolve()));
  const dropConnections = () => {
    for (const res of held) res.destroy();
    held.clear();
    for (const s of sockets) s.destroy();
    sockets.clear();
  };

  await listen();
  const scheme = opts.tls ? 'https' : 'http';

  const emulator: IpaEmulator = {
    env,
    store,
    engine,
    ca,
    get port() {
      return port;
    },
    get url() {
      return `${scheme}://${env.serverName}:${port}/ipa`;
    },
    get mode() {
      return mode;
    },
    setLatency(ms) {
      latencyMs = Math.max(0, ms);
    },
    setCapacity(options) {
      capacity = options ? model(options) : null;
    },
    capacityStats() {
      return capacity?.stats ?? null;
    },
    setCertificate(tls) {
      if (!('setSecureContext' in server)) throw new Error('this emulator serves plain HTTP');
      (server as unknown as TlsServer).setSecureContext({ cert: tls.cert, key: tls.key });
      dropConnections();
    },
    async setMode(next) {
      if (next === mode) return;
      const previous = mode;
      mode = next;
      if (previous === 'hang') {
        for (const res of held) res.destroy();
        held.clear();
      }
      if (next === 'refuse') {
        // Closing the listener makes new connections fail with ECONNREFUSED.
        const closed = stopListening();
        dropConnections();
        await closed;
      } else if (previous === 'refuse') {
        await listen();
      }
    },
    expireSessions() {
      sessions.expireAll();
    },
    setSessionLifetime(ms) {
      sessions.lifetimeMs = ms;
    },
    counters() {
      return {
        roundTrips: stats.roundTrips,
        logins: stats.logins,
        requests: stats.requests,
        writes: engine.stats.writes,
        commands: Object.fromEntries(engine.stats.commands),
      };
    },
    resetCounters() {
      stats.roundTrips = 0;
      stats.logins = 0;
      stats.requests = 0;
      engine.resetStats();
      capacity?.resetStats();
    },
    getHost(fqdn) {
      return store.get(dnOf.host(env, fqdn.toLowerCase().replace(/\.$/, '')));
    },
    getService(principal) {
      const parsed = parsePrincipal(principal);
      return store.get(dnOf.service(env, parsed ? formatPrincipal(parsed, env.realm) : principal));
    },
    getEntry(dn) {
      return store.get(dn);
    },
    simulateEnrollment(fqdn, otp) {
      return simulateEnrollment(store, env, fqdn, otp);
    },
    rpc(method, args = [], options = {}, principal = `admin@${env.realm}`) {
      return engine.handleJson(JSON.stringify({ method, params: [args, options], id: 0 }), { principal });
    },
    async close() {
      mode = 'up';
      const closed = server.listening ? stopListening() : Promise.resolve();
      dropConnections();
      await closed;
      await store.close();
    },
  };
  return emulator;
}
