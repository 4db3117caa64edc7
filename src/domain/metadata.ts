/**
 * Reading novajoin's instance and image metadata keys. Values come from
 * tenants, so everything is checked here and nothing is trusted later.
 */
import { InvalidRequest } from '../errors.js';
import { isDnsLabel, isFqdn } from './hostname.js';

/** Nova's metadata is a map of strings; anything else is refused with the key named. */
export function validateMetadata(raw: unknown, field = 'metadata'): Record<string, string> {
  if (raw === undefined || raw === null) return {};
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new InvalidRequest(`${field} must be an object of strings`, field);
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(raw)) {
    if (typeof value !== 'string') throw new InvalidRequest(`${field}.${key} must be a string, not ${value === null ? 'null' : typeof value}`, `${field}.${key}`);
    out[key] = value;
  }
  return out;
}

/** `ipa_enroll`: "true" in any case enrolls (novajoin 1.1); absent means undecided. */
export function enrollFlag(metadata: Readonly<Record<string, unknown>>): boolean | null {
  const value = metadata['ipa_enroll'];
  if (value === undefined || value === null) return null;
  return String(value).trim().toLowerCase() === 'true';
}

export interface ServiceRequest {
  /** The service name, the part before '/', e.g. HTTP. */
  readonly service: string;
  /** The host part of the principal. */
  readonly host: string;
  /** managed: a host named in metadata (a VIP); compact: <short>.<network>.<domain>. */
  readonly kind: 'managed' | 'compact';
  /** The metadata key it came from, for messages. */
  readonly source: string;
}

export interface ParsedServices {
  readonly requests: readonly ServiceRequest[];
  /** Entries that could not be read, with why; they are reported, not fatal. */
  readonly invalid: readonly { readonly source: string; readonly reason: string }[];
}

const SERVICE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/**
 * managed_service_<x> = "svc/host.domain[@REALM]"; compact_service_<svc> =
 * '["net1", "net2"]'; legacy compact_services = '{"svc": ["net1"]}'.
 */
export function parseServices(
  metadata: Readonly<Record<string, string>>,
  context: { shortName: string; domain: string; realm: string },
): ParsedServices {
  const requests: ServiceRequest[] = [];
  const invalid: { source: string; reason: string }[] = [];
  const compact = (service: string, networks: unknown, source: string) => {
    if (!SERVICE_NAME.test(service) || service.toLowerCase() === 'host') {
      invalid.push({ source, reason: `"${service}" is not an allowed service name` });
      return;
    }
    if (!Array.isArray(networks)) {
      invalid.push({ source, reason: 'must be a JSON list of network names' });
      return;
    }
    for (const network of networks) {
      if (typeof network !== 'string' || !isDnsLabel(network.toLowerCase())) {
        invalid.push({ source, reason: `network ${JSON.stringify(network)} is not a DNS label` });
        continue;
      }
      requests.push({ service, host: `${context.shortName}.${network.toLowerCase()}.${context.domain}`, kind: 'compact', source });
    }
  };

  for (const [key, value] of Object.entries(metadata).sort(([a], [b]) => a.localeCompare(b))) {
    if (key.startsWith('managed_service_')) {
      const parsed = parsePrincipal(value, context.realm);
      if ('reason' in parsed) invalid.push({ source: key, reason: parsed.reason });
      else requests.push({ ...parsed, kind: 'managed', source: key });
    } else if (key.startsWith('compact_service_')) {
      const networks = parseJson(value);
      if (networks === undefined) invalid.push({ source: key, reason: 'is not valid JSON' });
      else compact(key.slice('compact_service_'.length), networks, key);
    } else if (key === 'compact_services') {
      const map = parseJson(value);
      if (map === undefined || map === null || typeof map !== 'object' || Array.isArray(map)) {
        invalid.push({ source: key, reason: 'must be a JSON object of service: [networks]' });
      } else {
        for (const [service, networks] of Object.entries(map)) compact(service, networks, `${key}.${service}`);
      }
    }
  }
  return { requests: dedupe(requests), invalid };
}

/** "svc/host[@REALM]" -> parts; a foreign realm or a non-FQDN host is refused. */
export function parsePrincipal(value: string, realm: string): { service: string; host: string } | { reason: string } {
  const match = /^([^/@\s]+)\/([^/@\s]+)(?:@([^/@\s]+))?$/.exec(value.trim());
  if (!match) return { reason: `"${value.slice(0, 100)}" is not a principal of the form service/host.domain` };
  const [, service = '', rawHost = '', principalRealm] = match;
  if (!SERVICE_NAME.test(service) || service.toLowerCase() === 'host') return { reason: `"${service}" is not an allowed service name` };
  if (principalRealm !== undefined && principalRealm !== realm) return { reason: `realm ${principalRealm} is not ${realm}` };
  const host = rawHost.toLowerCase().replace(/\.$/, '');
  if (!isFqdn(host)) return { reason: `"${rawHost}" is not a fully qualified host name` };
  return { service, host };
}

function parseJson(value: string): unknown {
  try {
    return JSON.parse(value) as unknown;
  } catch {
    return undefined;
  }
}

function dedupe(requests: ServiceRequest[]): ServiceRequest[] {
  const seen = new Set<string>();
  return requests.filter((r) => {
    const key = `${r.service}/${r.host}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
