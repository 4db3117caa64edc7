/** The validated configuration, as every process sees it (frozen). */

/** [oslo_messaging_rabbit] TLS to RabbitMQ, as oslo.messaging names it. */
export interface BrokerTlsFiles {
  /** TLS for every host, as oslo's `ssl = true` (a URL can also ask with amqps:// or ?ssl=1). */
  readonly enabled: boolean;
  readonly caFile: string;
  readonly certFile: string;
  readonly keyFile: string;
}

export interface ProjectPolicy {
  readonly allowedClasses: readonly string[];
  readonly allowedServices: readonly string[];
  /** DNS suffixes the hosts of this project's service principals must lie under; empty: the domain and the project's namespace only. */
  readonly allowedServiceDomains: readonly string[];
}

export interface KeystoneCredentials {
  readonly authUrl: string;
  readonly username: string;
  readonly password: string;
  readonly userDomainName: string;
  readonly userDomainId: string;
  readonly projectName: string;
  readonly projectDomainName: string;
  readonly projectDomainId: string;
  readonly cafile: string;
  readonly timeoutMs: number;
}

export interface Config {
  /** The file the values came from, or null for defaults only. */
  readonly file: string | null;
  readonly server: {
    readonly listen: string;
    readonly port: number;
    readonly authStrategy: 'keystone' | 'noauth';
    readonly policyFile: string;
    readonly joinTimeoutMs: number;
    /** How long a repeat join is answered from memory; 0: never. */
    readonly joinCacheTtlMs: number;
    readonly maxBodySize: number;
    readonly headerTimeoutMs: number;
    readonly requestTimeoutMs: number;
    readonly maxConnections: number;
    readonly readinessIntervalMs: number;
  };
  readonly naming: {
    readonly domain: string;
    readonly projectSubdomain: boolean;
    readonly normalizeProject: boolean;
    readonly hostnameTemplate: string;
  };
  readonly enrollment: {
    readonly otpSecretFile: string;
    readonly fixedIpDns: boolean;
    readonly floatingIpDns: boolean;
    readonly staleOtpAgeMs: number;
  };
  readonly log: {
    readonly debug: boolean;
    readonly format: 'auto' | 'json' | 'text';
  };
  readonly freeipa: {
    /** The first configured server ('' with none). */
    readonly server: string;
    /** Every configured server, in order of preference. */
    readonly servers: readonly string[];
    /** The first server's base URL ('' with none). */
    readonly url: string;
    /** Base URL with {server} for a server's FQDN. */
    readonly urlTemplate: string;
    readonly discover: boolean;
    readonly discoveryDomain: string;
    readonly location: string;
    readonly dnsServers: readonly string[];
    readonly discoveryRefreshMs: number;
    readonly serverBackoffMs: number;
    readonly serverBackoffMaxMs: number;
    readonly realm: string;
    readonly caFile: string;
    readonly auth: 'kerberos' | 'password';
    readonly keytab: string;
    readonly principal: string;
    readonly user: string;
    readonly passwordFile: string;
    readonly apiVersion: string;
    readonly timeoutMs: number;
    readonly retries: number;
    readonly maxConcurrency: number;
  };
  readonly ldap: {
    /** [DEFAULT] resync_inventory: LDAP searches, or FreeIPA's JSON-RPC API. */
    readonly inventory: 'ldap' | 'api';
    /** The first of urls ('' with none). */
    readonly url: string;
    /** Configured or derived from [freeipa] server; empty with discovery and no [ldap] url (the SRV targets are used). */
    readonly urls: readonly string[];
    readonly starttls: boolean;
    /** gssapi: the service keytab ([DEFAULT] keytab, [freeipa] principal); simple: bindDn; anonymous only when asked for. */
    readonly auth: 'gssapi' | 'simple' | 'anonymous';
    readonly bindDn: string;
    readonly bindPasswordFile: string;
    readonly baseDn: string;
    readonly pageSize: number;
    readonly timeoutMs: number;
  };
  readonly notifications: {
    readonly transportUrl: string;
    /** [oslo_messaging_rabbit] TLS to the broker. */
    readonly tls: BrokerTlsFiles;
    readonly exchanges: readonly string[];
    readonly topics: readonly string[];
    readonly priorities: readonly string[];
    readonly exchangeDurable: boolean;
    readonly queueType: 'classic' | 'quorum';
    readonly retryQueuePrefix: string;
    readonly deadLetterQueue: string;
    readonly prefetch: number;
    readonly retryInitialMs: number;
    readonly retryMaxMs: number;
    readonly drainTimeoutMs: number;
    readonly healthFile: string;
    readonly metricsListen: string;
    readonly metricsPort: number;
    readonly resyncIntervalMs: number;
  };
  readonly serviceCredentials: KeystoneCredentials & {
    readonly regionName: string;
    readonly interface: 'public' | 'internal' | 'admin';
  };
  readonly keystoneAuthtoken: KeystoneCredentials & {
    readonly wwwAuthenticateUri: string;
    readonly tokenCacheTimeMs: number;
    /** Our catalog service type, for application-credential access rules; '' refuses restricted tokens. */
    readonly serviceType: string;
  };
  /** Per-project sections, keyed by project name. */
  readonly projects: ReadonlyMap<string, ProjectPolicy>;
}
