/**
 * Neutron ports: a floating IP notification names a port, and the port's
 * `device_id` is the Nova server when `device_owner` is `compute:<az>`.
 */
import { isObject } from './catalog.js';
import { UnexpectedResponse } from './errors.js';
import { versioned } from './http.js';
import type { KeystoneSession } from './keystone-session.js';

export interface Port {
  readonly id: string;
  readonly deviceId: string;
  readonly deviceOwner: string;
  readonly networkId: string;
  readonly projectId: string;
  readonly fixedIps: readonly { readonly ipAddress: string; readonly subnetId: string }[];
}

export interface PortLookup {
  /** The port, or null when Neutron has none with that id. */
  port(portId: string, signal?: AbortSignal): Promise<Port | null>;
}

/** True when the port belongs to a Nova server (`compute:nova`, `compute:<az>`). */
export function isComputePort(port: Port): boolean {
  return port.deviceOwner.startsWith('compute:') && port.deviceId !== '';
}

export class NeutronPorts implements PortLookup {
  constructor(private readonly session: KeystoneSession) {}

  async port(portId: string, signal?: AbortSignal): Promise<Port | null> {
    if (!portId) return null;
    const base = versioned(await this.session.endpoint('network', signal), 'v2.0');
    // The list form (as novajoin does): an unknown id is an empty list, not an error.
    const query = new URLSearchParams({ id: portId });
    const result = await this.session.request('neutron', `${base}/ports?${query}`, { signal });
    const ports = isObject(result.body) ? result.body.ports : undefined;
    if (result.status !== 200 || !Array.isArray(ports)) {
      throw new UnexpectedResponse('neutron', result.status, `Neutron answered GET /v2.0/ports with HTTP ${result.status}`);
    }
    const match = (ports as unknown[]).filter(isObject).find((port) => port.id === portId);
    return match ? portFromBody(match) : null;
  }
}

export function portFromBody(body: Record<string, unknown>): Port {
  const fixedIps = Array.isArray(body.fixed_ips) ? (body.fixed_ips as unknown[]).filter(isObject) : [];
  return {
    id: str(body.id),
    deviceId: str(body.device_id),
    deviceOwner: str(body.device_owner),
    networkId: str(body.network_id),
    projectId: str(body.project_id) || str(body.tenant_id),
    fixedIps: fixedIps.map((ip) => ({ ipAddress: str(ip.ip_address), subnetId: str(ip.subnet_id) })),
  };
}

function str(value: unknown): string {
  return typeof value === 'string' ? value : '';
}
