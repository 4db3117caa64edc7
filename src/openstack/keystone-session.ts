/**
 * Our own Keystone identity: one project-scoped token obtained with the
 * password method, shared by every call this process makes to Keystone, Nova,
 * Glance and Neutron. Mirrors keystoneauth's session: the token is re-fetched
 * when it is within 120 s of expiring, once after a service answers 401, and
 * concurrent callers share a single authentication request.
 */
import type { KeystoneCredentials } from '../config/types.js';
import { DependencyUnavailable } from '../errors.js';
import type { Logger } from '../log/logger.js';
import { silentLogger } from '../log/logger.js';
import { type CatalogEntry, type Interface, type ServiceType, findEndpoint, isObject, parseCatalog } from './catalog.js';
import { ServiceCredentialsRefused, UnexpectedResponse } from './errors.js';
import { type Fetch, type HttpResult, abortable, call, fetchFor, versioned } from './http.js';
import { parseExpiry } from './token-body.js';

/** keystoneauth's MIN_TOKEN_LIFE_SECONDS: a token closer than this to expiry is replaced. */
export const MIN_TOKEN_LIFE_MS = 120_000;

export interface ServiceToken {
  readonly token: string;
  readonly expiresAt: number;
  readonly catalog: readonly CatalogEntry[];
  readonly userId: string;
  readonly projectId: string;
}

export interface KeystoneSessionOptions {
  readonly credentials: KeystoneCredentials;
  /** Catalog interface for compute, image and network (identity uses auth_url). */
  readonly interface?: Interface;
  readonly regionName?: string;
  /** Explicit endpoints that win over the catalog (tests, or a catalog that is wrong). */
  readonly endpoints?: Partial<Record<ServiceType, string>>;
  readonly fetch?: Fetch;
  readonly logger?: Logger;
  readonly now?: () => number;
}

export interface RequestOptions {
  readonly method?: string;
  readonly headers?: Record<string, string>;
  readonly body?: unknown;
  readonly signal?: AbortSignal | undefined;
}

export class KeystoneSession {
  readonly authUrl: string;
  private readonly fetch: Fetch;
  private readonly logger: Logger;
  private readonly now: () => number;
  private current: ServiceToken | undefined;
  private inflight: Promise<ServiceToken> | undefined;

  constructor(private readonly options: KeystoneSessionOptions) {
    // An empty auth_url fails at the first call, not here: `novajoin dev` and
    // noauth builds the adapters without ever calling Keystone.
    this.authUrl = options.credentials.authUrl ? versioned(options.credentials.authUrl, 'v3') : '';
    this.fetch = options.fetch ?? fetchFor(options.credentials.cafile);
    this.logger = options.logger ?? silentLogger();
    this.now = options.now ?? Date.now;
  }

  get timeoutMs(): number {
    return this.options.credentials.timeoutMs;
  }

  /** A service token with at least MIN_TOKEN_LIFE_MS left, fetching one if needed. */
  async serviceToken(signal?: AbortSignal): Promise<ServiceToken> {
    const current = this.current;
    if (current && current.expiresAt - MIN_TOKEN_LIFE_MS > this.now()) return current;
    // Single flight: every caller that finds the token stale waits on the same
    // request. It runs under our own timeout only, so that one caller's short
    // budget does not fail the others who share it.
    this.inflight ??= this.authenticate().finally(() => {
      this.inflight = undefined;
    });
    return abortable(this.inflight, signal, 'keystone');
  }

  async token(signal?: AbortSignal): Promise<string> {
    return (await this.serviceToken(signal)).token;
  }

  /**
   * Forgets `token` after a service refused it. Only that token: when many
   * requests see the same 401, the first refresh is not thrown away by the
   * others.
   */
  invalidate(token: string): void {
    if (this.current?.token === token) this.current = undefined;
  }

  /** Base URL of a service (without a trailing slash), from the override or the catalog. */
  async endpoint(type: ServiceType, signal?: AbortSignal): Promise<string> {
    const override = this.options.endpoints?.[type];
    if (override) return override.replace(/\/+$/, '');
    if (type === 'identity') return this.authUrl;
    const { catalog } = await this.serviceToken(signal);
    return findEndpoint(catalog, type, this.options.interface ?? 'internal', this.options.regionName ?? '');
  }

  /**
   * One authenticated call to `service` at `url`. A 401 means our token was
   * revoked or expired early: fetch a new one and try once more, as
   * keystoneauth does; a second 401 is a dependency failure.
   */
  async request(dependency: string, url: string, options: RequestOptions = {}): Promise<HttpResult> {
    for (let attempt = 1; ; attempt++) {
      const token = await this.token(options.signal);
      const result = await call(
        url,
        {
          method: options.method ?? 'GET',
          headers: {
            Accept: 'application/json',
            ...(options.body === undefined ? {} : { 'Content-Type': 'application/json' }),
            ...options.headers,
            'X-Auth-Token': token,
          },
          ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
        },
        { dependency, timeoutMs: this.timeoutMs, signal: options.signal, fetch: this.fetch },
      );
      if (result.status !== 401) return result;
      this.invalidate(token);
      if (attempt >= 2) {
        throw new UnexpectedResponse(dependency, 401, `${dependency} refused a freshly issued service token for user "${this.options.credentials.username}"`);
      }
      this.logger.warn('service token refused, re-authenticating', { dependency });
    }
  }

  private async authenticate(): Promise<ServiceToken> {
    const { credentials } = this.options;
    if (!this.authUrl) throw new DependencyUnavailable('keystone', 'no Keystone auth_url is configured ([service_credentials] or [keystone_authtoken] auth_url)');
    const result = await call(
      `${this.authUrl}/auth/tokens`,
      {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
        body: JSON.stringify(passwordAuthBody(credentials)),
      },
      { dependency: 'keystone', timeoutMs: credentials.timeoutMs, fetch: this.fetch },
    );
    if (result.status >= 400) {
      throw new ServiceCredentialsRefused(
        credentials.username,
        `Keystone refused the service credentials of user "${credentials.username}" for project "${credentials.projectName}" (HTTP ${result.status}); check the password and the project scope`,
      );
    }
    const token = result.headers.get('x-subject-token');
    const body = isObject(result.body) && isObject(result.body.token) ? result.body.token : undefined;
    const expiresAt = parseExpiry(body?.expires_at);
    if (result.status !== 201 && result.status !== 200) {
      throw new UnexpectedResponse('keystone', result.status, `Keystone answered the authentication request with HTTP ${result.status}`);
    }
    if (!token || !body || expiresAt === undefined) {
      throw new DependencyUnavailable('keystone', 'Keystone issued a token without X-Subject-Token or token.expires_at');
    }
    const issued: ServiceToken = {
      token,
      expiresAt,
      catalog: parseCatalog(body.catalog),
      userId: isObject(body.user) && typeof body.user.id === 'string' ? body.user.id : '',
      projectId: isObject(body.project) && typeof body.project.id === 'string' ? body.project.id : '',
    };
    this.current = issued;
    this.logger.info('obtained a Keystone service token', {
      user: credentials.username,
      project: credentials.projectName,
      expiresAt: new Date(expiresAt).toISOString(),
    });
    return issued;
  }
}

/** The password-method request body; an id, when configured, wins over a name. */
export function passwordAuthBody(credentials: KeystoneCredentials): unknown {
  const domain = (id: string, name: string) => (id ? { id } : { name: name || 'Default' });
  return {
    auth: {
      identity: {
        methods: ['password'],
        password: {
          user: {
            name: credentials.username,
            domain: domain(credentials.userDomainId, credentials.userDomainName),
            password: credentials.password,
          },
        },
      },
      scope: {
        project: {
          name: credentials.projectName,
          domain: domain(credentials.projectDomainId, credentials.projectDomainName),
        },
      },
    },
  };
}

