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

/** Whether a project's names carry the project (its name or id), so projects have separate namespaces. */
export function carriesProject(policy: NamingPolicy): boolean {
  return policy.hostnameTemplate
    ? policy.hostnameTemplate.includes('{project}') || policy.hostnameTemplate.includes('{project_id}')
    : policy.projectSubdomain;
}

/** The template with the project filled in (throws when it needs a name Keystone does not know). */
function render(template: string, hostname: string, project: { id: string; name: string | null }, policy: NamingPolicy): string {
  const name = project.name === null ? null : projectLabel(project.name, policy.normalizeProject);
  if (template.includes('{project}') && name === null) {
    throw new InvalidRequest(`the host name needs the name of project ${project.id}, which Keystone does not know`, 'project-id');
  }
  return template
    .replaceAll('{hostname}', hostname)
    .replaceAll('{project}', name ?? '')
    .replaceAll('{project_id}', project.id.toLowerCase())
    .replaceAll('{domain}', policy.domain)
    .toLowerCase();
}

function template(policy: NamingPolicy): string {
  return policy.hostnameTemplate || (policy.projectSubdomain ? '{hostname}.{project}.{domain}' : '{hostname}.{domain}');
}

/**
 * Whether `fqdn` lies in the namespace of `project`: inside the domain and,
 * when names carry the project, a name the template could give one of the
 * project's instances (under demo.example.test for
 * {hostname}.{project}.{domain}; ending in -demo.example.test for
 * {hostname}-{project}.{domain}). A tenant controls its hostname and its
 * service metadata, so this is what keeps project A out of project B's names.
 */
export function inProjectNamespace(fqdn: string, project: { id: string; name: string | null }, policy: NamingPolicy): boolean {
  if (!fqdn.endsWith(`.${policy.domain}`) || !isFqdn(fqdn)) return false;
  if (!carriesProject(policy)) return true;
  const marker = 'novajoin-hostname-marker';
  let rendered: string;
  try {
    rendered = render(template(policy), marker, project, policy);
  } catch {
    return false; // the project's name is unknown: nothing can be shown to be its own
  }
  const [before = '', after = ''] = rendered.split(marker);
  const pattern = new RegExp(`^${escapeRegExp(before)}[a-z0-9.-]+${escapeRegExp(after)}$`);
  return pattern.test(fqdn);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * The FQDN of an instance's host. `hostname` has been validated; a name
 * already inside the domain is kept as is (novajoin 1.1), but only when it
 * lies in the project's own namespace.
 */
export function computeFqdn(hostname: string, project: { id: string; name: string | null }, policy: NamingPolicy): string {
  if (hostname.endsWith(`.${policy.domain}`)) {
    if (!inProjectNamespace(hostname, project, policy)) {
      throw new InvalidRequest(`hostname "${hostname.slice(0, 80)}" is outside the names of project ${project.name ?? project.id}: use a short name`, 'hostname');
    }
    return hostname;
  }
  const normalized = render(template(policy), hostname, project, policy);
  if (!isFqdn(normalized)) throw new InvalidRequest(`the host name "${normalized.slice(0, 80)}" made from the template is not a valid FQDN`, 'hostname');
  return normalized;
}
