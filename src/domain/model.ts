/**
 * The one model of an instance's enrollment (design section 3): a pure
 * function from what we know of an instance to the FreeIPA objects it should
 * have. Join, update, delete and resync all diff this against FreeIPA.
 */
import type { ProjectPolicy } from '../config/types.js';
import type { SubhostBinding } from './binding.js';
import { computeFqdn, type NamingPolicy } from './hostname.js';
import { parseServices, type ServiceRequest } from './metadata.js';
import { serviceHostRefusal } from './service-scope.js';

export interface InstanceFacts {
  readonly instanceId: string;
  readonly projectId: string;
  /** null when Keystone was not asked or does not know the project. */
  readonly projectName: string | null;
  /** Nova's hostname, validated (a label, or an FQDN in the domain). */
  readonly hostname: string;
  /** The host's FQDN when it exists already (update, resync): it is kept whatever naming says today. */
  readonly fqdn?: string;
  readonly metadata: Readonly<Record<string, string>>;
  /** Glance properties (or legacy image_meta); null when unknown. */
  readonly imageProperties: Readonly<Record<string, unknown>> | null;
}

export interface EnrollmentPolicy {
  readonly naming: NamingPolicy;
  readonly realm: string;
  readonly projects: ReadonlyMap<string, ProjectPolicy>;
}

export interface DesiredService {
  readonly principal: string;
  /** The host part of the principal: the instance's host or a subhost. */
  readonly host: string;
  readonly source: string;
}

export interface DesiredSubhost {
  readonly fqdn: string;
  readonly binding: SubhostBinding;
}

export interface DesiredEnrollment {
  readonly fqdn: string;
  readonly attributes: { readonly userClass: string | null; readonly location: string | null; readonly osVersion: string | null };
  /** The host class asked for but not allowed for the project (the join answers 403). */
  readonly refusedHostClass: string | null;
  readonly subhosts: readonly DesiredSubhost[];
  readonly services: readonly DesiredService[];
  /** Service requests refused by policy or unreadable, with the reason. */
  readonly refused: readonly { readonly source: string; readonly reason: string }[];
}

/** The project's section of join.conf, by name first and then by id. */
export function projectPolicy(policy: EnrollmentPolicy, facts: Pick<InstanceFacts, 'projectId' | 'projectName'>): ProjectPolicy | null {
  return (facts.projectName !== null ? policy.projects.get(facts.projectName) : undefined) ?? policy.projects.get(facts.projectId) ?? null;
}

export function desiredEnrollment(facts: InstanceFacts, policy: EnrollmentPolicy): DesiredEnrollment {
  const projectRef = { id: facts.projectId, name: facts.projectName };
  const fqdn = facts.fqdn ?? computeFqdn(facts.hostname, projectRef, policy.naming);
  const shortName = fqdn.split('.')[0] ?? fqdn;
  const project = projectPolicy(policy, facts);
  const scope = { naming: policy.naming, project: projectRef, ownFqdn: fqdn, allowedDomains: project?.allowedServiceDomains ?? [] };

  const hostClass = facts.metadata['ipa_hostclass']?.trim() || null;
  const classAllowed = hostClass === null || (project?.allowedClasses.includes(hostClass) ?? false);

  // Compact subhosts sit beside the instance's own name (web.ctlplane.demo.example.test), so they stay in its project's namespace.
  const parsed = parseServices(facts.metadata, { shortName, domain: fqdn.slice(shortName.length + 1), realm: policy.realm });
  const refused = [...parsed.invalid];
  const allowed = (request: ServiceRequest) => {
    const list = project?.allowedServices ?? [];
    return list.includes('*') || list.some((s) => s.toLowerCase() === request.service.toLowerCase());
  };
  const services: DesiredService[] = [];
  const subhosts = new Map<string, DesiredSubhost>();
  for (const request of parsed.requests) {
    if (!allowed(request)) {
      refused.push({ source: request.source, reason: `service ${request.service} is not allowed for project ${facts.projectName ?? facts.projectId} (allowed_services)` });
      continue;
    }
    const outside = serviceHostRefusal(request.host, scope);
    if (outside !== null) {
      refused.push({ source: request.source, reason: `service ${request.service}/${request.host} refused: ${outside}` });
      continue;
    }
    services.push({ principal: `${request.service}/${request.host}@${policy.realm}`, host: request.host, source: request.source });
    if (request.host !== fqdn && !subhosts.has(request.host)) {
      subhosts.set(request.host, {
        fqdn: request.host,
        binding: { kind: 'subhost', projectId: facts.projectId, instanceId: request.kind === 'compact' ? facts.instanceId : null },
      });
    }
  }

  return {
    fqdn,
    attributes: {
      userClass: classAllowed ? hostClass : null,
      location: facts.metadata['ipa_host_location']?.trim() || null,
      osVersion: osVersion(facts.imageProperties),
    },
    refusedHostClass: classAllowed ? null : hostClass,
    subhosts: [...subhosts.values()],
    services,
    refused,
  };
}

/** nsosversion from the image's os_distro and os_version, as novajoin 1.1 set it. */
function osVersion(properties: Readonly<Record<string, unknown>> | null): string | null {
  if (!properties) return null;
  const parts = [properties['os_distro'], properties['os_version']].filter((p): p is string => typeof p === 'string' && p.trim() !== '');
  return parts.length ? parts.map((p) => p.trim()).join(' ').slice(0, 200) : null;
}
