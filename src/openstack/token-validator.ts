/**
 * Validates the X-Auth-Token Nova sends, as keystonemiddleware's auth_token
 * does (nova-wire.md §2): GET /v3/auth/tokens with our own token and theirs,
 * 404 means invalid, an expired token is refused even from the cache, and only
 * successes are cached, keyed by the token's SHA-256, never past its expiry.
 */
import { createHash } from 'node:crypto';
import { Unauthorized } from '../errors.js';
import type { Logger } from '../log/logger.js';
import { silentLogger } from '../log/logger.js';
import type { Caller, TokenValidator } from './caller.js';
import { accessRulesOf } from './access-rules.js';
import { isObject } from './catalog.js';
import { UnexpectedResponse } from './errors.js';
import { abortable } from './http.js';
import type { KeystoneSession } from './keystone-session.js';
import { SingleFlight } from './single-flight.js';
import { TtlCache } from './ttl-cache.js';
import { parseExpiry } from './token-body.js';

export interface KeystoneTokenValidatorOptions {
  readonly session: KeystoneSession;
  /** token_cache_time in ms; negative (or 0) disables the cache. */
  readonly cacheTimeMs: number;
  readonly maxEntries?: number;
  readonly logger?: Logger;
  readonly now?: () => number;
}

/** Keystone's own words for a refused token, as keystonemiddleware answers. */
const REFUSED = 'The request you have made requires authentication.';

/** Fernet and JWS tokens are short printable ASCII; anything else never reaches Keystone. */
const TOKEN_SHAPE = /^[\x21-\x7e]{1,8192}$/;

const keyOf = (token: string) => createHash('sha256').update(token).digest('hex');

export class KeystoneTokenValidator implements TokenValidator {
  private readonly cache: TtlCache<Caller>;
  private readonly flights = new SingleFlight<Caller>();
  private readonly logger: Logger;
  private readonly now: () => number;

  constructor(private readonly options: KeystoneTokenValidatorOptions) {
    this.now = options.now ?? Date.now;
    this.cache = new TtlCache(options.maxEntries ?? 10_000, this.now);
    this.logger = options.logger ?? silentLogger();
  }

  cached(rawToken: string): Caller | null {
    const token = rawToken.trim();
    if (!TOKEN_SHAPE.test(token)) return null;
    const cached = this.cache.get(keyOf(token));
    // The cache entry never outlives expires_at, but check anyway, as the middleware does.
    return cached && cached.expiresAt > this.now() ? cached : null;
  }

  async validate(rawToken: string, signal?: AbortSignal): Promise<Caller> {
    const token = rawToken.trim();
    if (!TOKEN_SHAPE.test(token)) throw new Unauthorized(REFUSED);
    const key = keyOf(token);
    const cached = this.cache.get(key);
    if (cached && cached.expiresAt > this.now()) return cached;
    // Coalesced callers share one Keystone call bounded by our timeout; each
    // one still gives up at its own budget.
    return abortable(
      this.flights.run(key, () => this.fetchAndCache(token, key)),
      signal,
      'keystone',
    );
  }

  private async fetchAndCache(token: string, key: string): Promise<Caller> {
    const caller = await this.fetch(token, key.slice(0, 8));
    if (this.options.cacheTimeMs > 0) {
      this.cache.set(key, caller, Math.min(caller.expiresAt, this.now() + this.options.cacheTimeMs));
    }
    return caller;
  }

  private async fetch(token: string, tokenHash: string): Promise<Caller> {
    const { session } = this.options;
    const base = await session.endpoint('identity');
    // nocatalog: nothing downstream needs the caller's catalog, and it is most of the body.
    const result = await session.request('keystone', `${base}/auth/tokens?nocatalog`, {
      headers: { 'X-Subject-Token': token, 'OpenStack-Identity-Access-Rules': '1' },
    });
    if (result.status === 404) {
      this.logger.info('Keystone does not know the caller token', { tokenHash });
      throw new Unauthorized(REFUSED);
    }
    if (result.status === 403) {
      throw new UnexpectedResponse('keystone', 403, 'Keystone does not let our [keystone_authtoken] user validate tokens (HTTP 403); give it the admin or service role');
    }
    if (result.status !== 200) {
      throw new UnexpectedResponse('keystone', result.status, `Keystone answered token validation with HTTP ${result.status}`);
    }
    const caller = callerFromBody(result.body);
    if (!caller) throw new UnexpectedResponse('keystone', 200, 'Keystone answered token validation with a body that is not a v3 token');
    if (caller.expiresAt <= this.now()) {
      this.logger.info('caller token has expired', { tokenHash });
      throw new Unauthorized(REFUSED);
    }
    this.logger.debug('caller token validated', { tokenHash, user: caller.userName, project: caller.projectName });
    return caller;
  }
}

/** Maps a v3 validation body to a Caller; undefined when it is not one. */
export function callerFromBody(body: unknown): Caller | undefined {
  if (!isObject(body) || !isObject(body.token)) return undefined;
  const token = body.token;
  const expiresAt = parseExpiry(token.expires_at);
  if (expiresAt === undefined) return undefined;
  const user = isObject(token.user) ? token.user : {};
  const project = isObject(token.project) ? token.project : {};
  const roles = Array.isArray(token.roles) ? (token.roles as unknown[]) : [];
  const accessRules = accessRulesOf(token);
  return {
    userId: str(user.id),
    userName: str(user.name),
    userDomainId: isObject(user.domain) ? str(user.domain.id) : '',
    projectId: str(project.id),
    projectName: str(project.name),
    projectDomainId: isObject(project.domain) ? str(project.domain.id) : '',
    roles: roles.flatMap((role) => (isObject(role) && typeof role.name === 'string' ? [role.name] : [])),
    expiresAt,
    isAdminProject: token.is_admin_project !== false,
    ...(accessRules ? { accessRules } : {}),
  };
}

function str(value: unknown): string {
  return typeof value === 'string' ? value : '';
}
