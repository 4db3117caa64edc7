/**
 * The Keystone v3 service catalog, and endpoint lookup by service type,
 * interface and region as keystoneauth's `get_endpoint` does it.
 */
import { EndpointNotFound } from './errors.js';

export type ServiceType = 'identity' | 'compute' | 'image' | 'network';
export type Interface = 'public' | 'internal' | 'admin';

export interface CatalogEndpoint {
  readonly interface: string;
  readonly url: string;
  readonly region: string;
}

export interface CatalogEntry {
  readonly type: string;
  readonly name: string;
  readonly endpoints: readonly CatalogEndpoint[];
}

/** Reads `token.catalog` defensively: anything malformed is skipped, not fatal. */
export function parseCatalog(raw: unknown): CatalogEntry[] {
  if (!Array.isArray(raw)) return [];
  const entries: CatalogEntry[] = [];
  for (const item of raw as unknown[]) {
    if (!isObject(item) || typeof item.type !== 'string' || !Array.isArray(item.endpoints)) continue;
    const endpoints: CatalogEndpoint[] = [];
    for (const endpoint of item.endpoints as unknown[]) {
      if (!isObject(endpoint) || typeof endpoint.url !== 'string' || typeof endpoint.interface !== 'string') continue;
      // `region_id` is the v3 field; `region` is its older alias, still sent by Keystone.
      const region = typeof endpoint.region_id === 'string' ? endpoint.region_id : typeof endpoint.region === 'string' ? endpoint.region : '';
      endpoints.push({ interface: endpoint.interface, url: endpoint.url, region });
    }
    entries.push({ type: item.type, name: typeof item.name === 'string' ? item.name : '', endpoints });
  }
  return entries;
}

/** The URL of `type` for `iface` in `region` ('' accepts any region). */
export function findEndpoint(catalog: readonly CatalogEntry[], type: ServiceType, iface: Interface, region: string): string {
  for (const entry of catalog) {
    if (entry.type !== type) continue;
    const match = entry.endpoints.find((endpoint) => endpoint.interface === iface && (!region || endpoint.region === region));
    if (match) return match.url.replace(/\/+$/, '');
  }
  const where = region ? ` in region "${region}"` : '';
  throw new EndpointNotFound(type, `the service catalog has no ${iface} endpoint for ${type}${where}; check [service_credentials] interface and region_name`);
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
