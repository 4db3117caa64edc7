/**
 * Host names: validation of what Nova sends and the FQDN a host gets. Names
 * follow novajoin 1.1 (`<hostname>.<domain>`, or `<hostname>.<project>.<domain>`
 * with project_subdomain) unless a template is configured.
 */
import { InvalidRequest } from '../errors.js';

const LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

export interface NamingPolicy {
  readonly domain: string;
  readonly projectSubdomain: boolean;
  readonly normalizeProject: boolean;
  readonly hostnameTemplate: string;
}

/** True when `name` is one DNS label (RFC 1123). */
export function isDnsLabel(name: string): boolean {
  return LABEL.test(name);
}

export function isFqdn(name: string): boolean {
  return name.length <= 253 && name.includes('.') && name.split('.').every(isDnsLabel);
}

/**
 * Checks Nova's `hostname`: a short name (one label), or a name already in
 * our domain. Upper case is folded as FreeIPA folds it.
 */
export function validateHostname(raw: unknown, domain: string, field = 'hostname'): string {
  if (typeof raw !== 'string' || raw.trim() === '') throw new InvalidRequest(`${field} is required and must be a non-empty string`, field);
  const name = raw.trim().toLowerCase().replace(/\.$/, '');
  if (name.length > 253) throw new InvalidRequest(`${field} is longer than 253 characters`, field);
  if (name.includes('.')) {
    if (!(name === domain || name.endsWith(`.${domain}`)) || !isFqdn(name)) {
      throw new InvalidRequest(`${field} "${name.slice(0, 80)}" must be a single DNS label or a name in the domain ${domain}`, field);
    }
    return name;
  }
  if (name.length > 63) throw new InvalidRequest(`${field} is longer than 63 characters, the limit of a DNS label`, field);
  if (!isDnsLabel(name)) {
    throw new InvalidRequest(`${field} "${name}" is not a DNS label: use a-z, 0-9 and '-', not at either end`, field);
  }
  return name;
}

/** A project name made into a DNS label (normalize_project). */
export function projectLabel(project: string, normalize: boolean): string {
  if (!normalize) return project;
  const label = project
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 63)
    .replace(/-$/, '');
  return label || 'project';
}

/** Whether the FQDN depends on the project's name (so Keystone must be asked). */
export function needsProjectName(policy: NamingPolicy): boolean {
  return policy.hostnameTemplate ? policy.hostnameTemplate.includes('{project}') : policy.projectSubdomain;
}

/**
 * The FQDN of an instance's host. `hostname` has been validated; a name
 * already inside the domain is kept as is (novajoin 1.1).
 */
export function computeFqdn(hostname: string, project: { id: string; name: string | null }, policy: NamingPolicy): string {
  if (hostname.endsWith(`.${policy.domain}`)) return hostname;
  const name = project.name === null ? null : projectLabel(project.name, policy.normalizeProject);
  if (needsProjectName(policy) && name === null) {
    throw new InvalidRequest(`the host name needs the name of project ${project.id}, which Keystone does not know`, 'project-id');
  }
  const fqdn = policy.hostnameTemplate
    ? policy.hostnameTemplate
        .replaceAll('{hostname}', hostname)
        .replaceAll('{project}', name ?? '')
        .replaceAll('{project_id}', project.id.toLowerCase())
        .replaceAll('{domain}', policy.domain)
    : policy.projectSubdomain
      ? `${hostname}.${name}.${policy.domain}`
      : `${hostname}.${policy.domain}`;
  const normalized = fqdn.toLowerCase();
  if (!isFqdn(normalized)) throw new InvalidRequest(`the host name "${normalized.slice(0, 80)}" made from the template is not a valid FQDN`, 'hostname');
  return normalized;
}
