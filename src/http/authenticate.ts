/**
 * Who is calling: Nova's service user, vouched for by Keystone (as
 * keystonemiddleware's auth_token did for novajoin 1.1), then policy
 * `join:create`. `noauth` exists for `novajoin dev` only.
 */
import type { Middleware } from 'koa';
import { Unauthorized } from '../errors.js';
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
}

export function authenticate(options: AuthOptions, rule: string): Middleware {
  return async function authenticateCaller(ctx, next) {
    if (options.strategy === 'noauth') return next();
    ctx.state['wwwAuthenticate'] = options.wwwAuthenticateUri ? `Keystone uri="${options.wwwAuthenticateUri}"` : 'Keystone';
    const token = ctx.get('X-Auth-Token').trim();
    if (!token) throw new Unauthorized('The request you have made requires authentication: no X-Auth-Token.');
    if (!options.tokens) throw new Unauthorized('token validation is not configured');
    const caller = await options.tokens.validate(token, AbortSignal.timeout(options.timeoutMs));
    ctx.state['caller'] = caller;
    options.authorize(rule, caller);
    await next();
  };
}
