/**
 * Nova servers, for resync (all servers of all projects) and for the
 * notification flows (one server). Microversion 2.90 so that
 * `OS-EXT-SRV-ATTR:hostname` is present (>= 2.3, and shown to non-admins from
 * 2.90); Zed's maximum is 2.93, so every supported Nova accepts it.
 */
import { isObject } from './catalog.js';
import { UnexpectedResponse } from './errors.js';
import { versioned } from './http.js';
import type { KeystoneSession } from './keystone-session.js';

export const COMPUTE_MICROVERSION = 'compute 2.90';

export interface ServerAddress {
  readonly addr: string;
  readonly version: number;
  /** `OS-EXT-IPS:type`: fixed or floating ('' when Nova did not say). */
  readonly type: string;
  readonly mac: string;
}

export interface Server {
  readonly id: string;
  readonly name: string;
  /** `OS-EXT-SRV-ATTR:hostname`, or the name when Nova did not show it. */
  readonly hostname: string;
  readonly projectId: string;
  readonly metadata: Readonly<Record<string, string>>;
  /** '' for boot from volume (Nova answers `"image": ""`). */
  readonly imageId: string;
  readonly status: string;
  /** Network name -> addresses. */
  readonly addresses: Readonly<Record<string, readonly ServerAddress[]>>;
}

export interface ComputeLookup {
  server(serverId: string, signal?: AbortSignal): Promise<Server | null>;
  allServers(options?: { pageSize?: number; signal?: AbortSignal }): Promise<Server[]>;
}

export class NovaServers implements ComputeLookup {
  constructor(private readonly session: KeystoneSession) {}

  async server(serverId: string, signal?: AbortSignal): Promise<Server | null> {
    if (!serverId) return null;
    const base = await this.base(signal);
    const result = await this.session.request('nova', `${base}/servers/${encodeURIComponent(serverId)}`, { headers: HEADERS, signal });
    if (result.status === 404) return null;
    const server = isObject(result.body) ? result.body.server : undefined;
    if (result.status !== 200 || !isObject(server)) {
      throw new UnexpectedResponse('nova', result.status, `Nova answered GET /servers/{id} with HTTP ${result.status}`);
    }
    return serverFromBody(server);
  }

  async allServers(options: { pageSize?: number; signal?: AbortSignal } = {}): Promise<Server[]> {
    const servers: Server[] = [];
    for await (const page of this.pages(options)) servers.push(...page);
    return servers;
  }

  /**
   * Pages of `GET /servers/detail?all_tenants=1`, `pageSize` at a time (Nova
   * caps it at [api] max_limit, 1000 by default). The marker is the last id of
   * the page; paging stops when Nova gives no `next` link. The next href is
   * not followed as is: it carries Nova's public URL, which may not be the
   * endpoint we reach Nova by.
   */
  async *pages(options: { pageSize?: number; signal?: AbortSignal } = {}): AsyncGenerator<Server[]> {
    const base = await this.base(options.signal);
    const limit = options.pageSize ?? 1000;
    const seen = new Set<string>();
    let marker = '';
    for (;;) {
      const query = new URLSearchParams({ all_tenants: '1', limit: String(limit) });
      if (marker) query.set('marker', marker);
      const result = await this.session.request('nova', `${base}/servers/detail?${query}`, { headers: HEADERS, signal: options.signal });
      const body = isObject(result.body) ? result.body : undefined;
      if (result.status !== 200 || !body || !Array.isArray(body.servers)) {
        const hint = result.status === 403 ? '; listing all projects needs the admin role for our service user' : '';
        throw new UnexpectedResponse('nova', result.status, `Nova answered GET /servers/detail with HTTP ${result.status}${hint}`);
      }
      const page = (body.servers as unknown[]).filter(isObject).map(serverFromBody);
      if (page.length > 0) yield page;
      const last = page.at(-1);
      if (!last || !hasNext(body.servers_links)) return;
      if (seen.has(last.id)) throw new UnexpectedResponse('nova', 200, `Nova paging did not advance past marker ${last.id}`);
      seen.add(last.id);
      marker = last.id;
    }
  }

  private async base(signal?: AbortSignal): Promise<string> {
    return versioned(await this.session.endpoint('compute', signal), 'v2.1');
  }
}

const HEADERS = { 'OpenStack-API-Version': COMPUTE_MICROVERSION };

function hasNext(links: unknown): boolean {
  return Array.isArray(links) && links.some((link) => isObject(link) && link.rel === 'next');
}

export function serverFromBody(body: Record<string, unknown>): Server {
  const name = str(body.name);
  const image = body.image;
  return {
    id: str(body.id),
    name,
    hostname: str(body['OS-EXT-SRV-ATTR:hostname']) || name,
    projectId: str(body.tenant_id),
    metadata: stringMap(body.metadata),
    imageId: isObject(image) ? str(image.id) : '',
    status: str(body.status),
    addresses: addressesFromBody(body.addresses),
  };
}

function addressesFromBody(raw: unknown): Record<string, ServerAddress[]> {
  const out: Record<string, ServerAddress[]> = {};
  if (!isObject(raw)) return out;
  for (const [network, list] of Object.entries(raw)) {
    if (!Array.isArray(list)) continue;
    out[network] = (list as unknown[]).filter(isObject).map((entry) => ({
      addr: str(entry.addr),
      version: typeof entry.version === 'number' ? entry.version : 0,
      type: str(entry['OS-EXT-IPS:type']),
      mac: str(entry['OS-EXT-IPS-MAC:mac_addr']),
    }));
  }
  return out;
}

function stringMap(raw: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!isObject(raw)) return out;
  for (const [key, value] of Object.entries(raw)) if (typeof value === 'string') out[key] = value;
  return out;
}

function str(value: unknown): string {
  return typeof value === 'string' ? value : '';
}
