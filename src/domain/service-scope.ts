/**
 * Where a tenant's service principals may live (design B4). The host part of
 * `managed_service_*` is chosen by the tenant, and the host that manages a
 * principal can fetch its keytab and ask FreeIPA's CA for certificates in its
 * name; so a name outside our namespace (www.bank.example.com), or in another
 * project's, must never be created or managed for it.
 */
import { inProjectNamespace, type NamingPolicy } from './hostname.js';

export interface ServiceScope {
  readonly naming: NamingPolicy;
  readonly project: { readonly id: string; readonly name: string | null };
  /** The instance's own host: always its own to name. */
  readonly ownFqdn: string;
  /** allowed_service_domains of the project; empty means the rules below only. */
  readonly allowedDomains: readonly string[];
}

/** Why `host` may not carry a service of this instance, or null when it may. */
export function serviceHostRefusal(host: string, scope: ServiceScope): string | null {
  if (host === scope.ownFqdn) return null;
  const { domain } = scope.naming;
  if (!host.endsWith(`.${domain}`)) return `host ${host} is outside the domain ${domain}`;
  if (!inProjectNamespace(host, scope.project, scope.naming)) {
    return `host ${host} is outside the names of project ${scope.project.name ?? scope.project.id}`;
  }
  if (scope.allowedDomains.length > 0 && !scope.allowedDomains.some((suffix) => host === suffix || host.endsWith(`.${suffix}`))) {
    return `host ${host} is not under allowed_service_domains (${scope.allowedDomains.join(', ')})`;
  }
  return null;
}
