/** The FreeIPA client's options, events and statistics (client.ts). */
import type { LookupFunction } from 'node:net';
import type { Logger } from '../log/logger.js';
import type { DiscoveryConfig } from './failover.js';
import type { Priority } from './semaphore.js';
import type { Backoff, ServerEndpoint } from './server-pool.js';

export type FreeIpaAuthOptions =
  | { readonly kind: 'kerberos'; readonly keytab: string; readonly principal?: string | undefined }
  | { readonly kind: 'password'; readonly user: string; readonly password: string };

export interface FreeIpaClientOptions {
  /** Base URL, e.g. https://ipa.example.test/ipa (the only server when `servers` and `discovery` are absent). */
  readonly url: string;
  /** FreeIPA's canonical FQDN (TLS name, Referer, HTTP@<server>). Default: the URL's host. */
  readonly server: string;
  /** Several servers (replicas), in order of preference; replaces url/server. */
  readonly servers?: readonly ServerEndpoint[] | undefined;
  /** Take the servers from DNS SRV records instead; `servers` then only serves when DNS has none at start. */
  readonly discovery?: DiscoveryConfig | undefined;
  /** DNS servers ("ip" or "ip:port") for discovery and for the servers' names; default the system resolver. */
  readonly dnsServers?: readonly string[] | undefined;
  /** How long a failed server is left out: initialMs, doubling up to maxMs. Default 2 s to 60 s. */
  readonly serverBackoff?: Backoff | undefined;
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

/** A server taken out after a failure, or back in service. */
export interface ServerEvent {
  readonly server: string;
  readonly state: 'up' | 'down';
  readonly error?: string;
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
  server: [ServerEvent];
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

