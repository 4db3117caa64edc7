/**
 * Access rules of a Keystone application credential, enforced as
 * keystonemiddleware's auth_token enforces them: we tell Keystone we support
 * them (OpenStack-Identity-Access-Rules: 1), so Keystone hands us restricted
 * tokens and trusts us to refuse what the rules do not allow. A token whose
 * credential lists rules passes only if one rule names our service type, the
 * request's method and a path pattern matching the request's path; with no
 * service type configured, every restricted token is refused.
 *
 * Paths: `*` (and `{name}`) match one path segment, `**` any number of them.
 * Unlike keystonemiddleware, literal characters are matched literally (a `.`
 * in a rule is not "any character").
 */

export interface AccessRule {
  readonly service: string;
  readonly method: string;
  readonly path: string;
}

export interface RuledRequest {
  readonly serviceType: string;
  readonly method: string;
  readonly path: string;
}

export type AccessDecision = { readonly allowed: true } | { readonly allowed: false; readonly reason: string };

export function checkAccessRules(rules: readonly AccessRule[], request: RuledRequest): AccessDecision {
  if (!request.serviceType) {
    return { allowed: false, reason: 'the token is restricted by access rules and [keystone_authtoken] service_type is not set' };
  }
  const allowed = rules.some(
    (rule) => rule.service === request.serviceType && rule.method.toUpperCase() === request.method.toUpperCase() && pathMatches(request.path, rule.path),
  );
  return allowed ? { allowed } : { allowed, reason: `no access rule of the token allows ${request.method} ${request.serviceType} ${request.path}` };
}

const TOKEN = /(\{[^}]*\})|(\*\*)|(\*)|([^{}*]+)/g;

export function pathMatches(path: string, pattern: string): boolean {
  let source = '';
  for (const [, tag, recursive, wild, literal] of pattern.matchAll(TOKEN)) {
    if (tag || wild) source += '[^/]+';
    else if (recursive) source += '.*';
    else if (literal) source += literal.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`).test(path);
}

/** The `access_rules` of a token's application credential; undefined when it has none (unrestricted). */
export function accessRulesOf(token: Record<string, unknown>): readonly AccessRule[] | undefined {
  const credential = token['application_credential'];
  if (typeof credential !== 'object' || credential === null) return undefined;
  const rules = (credential as Record<string, unknown>)['access_rules'];
  if (rules === undefined || rules === null) return undefined;
  // A malformed list restricts to nothing rather than to everything.
  if (!Array.isArray(rules)) return [];
  return rules.flatMap((rule: unknown) => {
    if (typeof rule !== 'object' || rule === null) return [];
    const { service, method, path } = rule as Record<string, unknown>;
    return typeof service === 'string' && typeof method === 'string' && typeof path === 'string' ? [{ service, method, path }] : [];
  });
}
