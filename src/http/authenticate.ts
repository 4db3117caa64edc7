/**
 * Who is calling: Nova's service user, vouched for by Keystone (as
 * keystonemiddleware's auth_token did for novajoin 1.1), then policy
 * `join:create`. `noauth` exists for `novajoin dev` only.
 */
import type { Middleware } from 'koa';
import { Unauthorized } from '../errors.js';
import type { Logger } from '../log/logger.js';
import { checkAccessRules } from '../openstack/access-rules.js';
import type { Caller, TokenValidator } from '../openstack/caller.js';

/** Throws Forbidden when the caller may not do `rule`. */
export type Authorize = (rule: string, caller: Caller) => void;

export interface AuthOptions {
  readonly strategy: 'keystone' | 'noauth';
  readonly tokens: TokenValidator | null;
  readonly authorize: Authorize;
  /** Public Keystone URL for WWW-Authenticate. */
  readonly wwwAuthenticateUri: string;
  readonly timeoutMs: number;
  /** [keystone_authtoken] service_type, for tokens restricted by access rules. */
  readonly serviceType: string;
}

export function authenticate(options: AuthOptions, rule: string): Middleware {
  return async function authenticateCaller(ctx, next) {
    if (options.strategy === 'noauth') return next();
    ctx.state['wwwAuthenticate'] = options.wwwAuthenticateUri ? `Keystone uri="${options.wwwAuthenticateUri}"` : 'Keystone';
    const token = ctx.get('X-Auth-Token').trim();
    if (!token) throw new Unauthorized('The request you have made requires authentication: no X-Auth-Token.');
    if (!options.tokens) throw new Unauthorized('token validation is not configured');
    const caller = options.tokens.cached?.(token) ?? (await options.tokens.validate(token, AbortSignal.timeout(options.timeoutMs)));
    if (caller.accessRules) {
      const decision = checkAccessRules(caller.accessRules, { serviceType: options.serviceType, method: ctx.method, path: ctx.path });
      if (!decision.allowed) {
        (ctx.state['log'] as Logger | undefined)?.warn('token refused by its access rules', { reason: decision.reason, user: caller.userName });
        throw new Unauthorized('The request you have made requires authentication.');
      }
    }
    ctx.state['caller'] = caller;
    options.authorize(rule, caller);
    await next();
  };
}
