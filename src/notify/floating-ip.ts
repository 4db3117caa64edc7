import { isRecord } from './envelope.js';
import { PoisonMessage } from './errors.js';
import type { FixedIp, NovaEvent } from './types.js';

/**
 * Neutron `floatingip.update.end` (nova-wire.md 4.4): the payload is the API
 * response `{"floatingip": {...}}`. A `port_id` means associate, null means
 * disassociate. `port_details` (the fip-port-details extension) names the
 * server when the port belongs to Nova, which spares a Neutron lookup.
 */
export function neutronFloatingIpEvent(payload: unknown): NovaEvent {
  const fip = isRecord(payload) ? payload['floatingip'] : undefined;
  if (!isRecord(fip)) throw new PoisonMessage('payload has no floatingip object');
  const floatingIp = fip['floating_ip_address'];
  if (typeof floatingIp !== 'string' || floatingIp === '') throw new PoisonMessage('floatingip has no floating_ip_address');
  const portId = fip['port_id'];
  if (portId === null || portId === undefined || portId === '') return { kind: 'floatingip.disassociate', floatingIp };
  if (typeof portId !== 'string') throw new PoisonMessage('floatingip.port_id is not a string');
  return { kind: 'floatingip.associate', floatingIp, portId, deviceId: computeDevice(fip['port_details']) };
}

/**
 * Neutron `floatingip.delete.end`: `{"floatingip": <the deleted object>,
 * "floatingip_id": id}` (the pecan notifier hook sends the original object
 * on delete). An address still associated names its port, and usually the
 * server through port_details. Only the id (older Neutron) tells us nothing.
 */
export function neutronFloatingIpDeleteEvent(payload: unknown): NovaEvent {
  if (!isRecord(payload)) throw new PoisonMessage('payload is not an object');
  const fip = payload['floatingip'];
  if (!isRecord(fip)) return { kind: 'floatingip.delete', floatingIp: null, portId: null, deviceId: null };
  const address = fip['floating_ip_address'];
  const port = fip['port_id'];
  return {
    kind: 'floatingip.delete',
    floatingIp: typeof address === 'string' && address !== '' ? address : null,
    portId: typeof port === 'string' && port !== '' ? port : null,
    deviceId: computeDevice(fip['port_details']),
  };
}

/** Neutron `port.delete.end`: `{"port": <the deleted port>, "port_id": id}`. */
export function neutronPortDeleteEvent(payload: unknown): NovaEvent {
  if (!isRecord(payload)) throw new PoisonMessage('payload is not an object');
  const port = payload['port'];
  if (!isRecord(port)) return { kind: 'port.delete', deviceId: null, addresses: [] };
  const addresses: FixedIp[] = [];
  for (const item of Array.isArray(port['fixed_ips']) ? port['fixed_ips'] : []) {
    const address = isRecord(item) ? item['ip_address'] : undefined;
    if (typeof address === 'string' && address !== '') addresses.push({ address, version: address.includes(':') ? 6 : 4 });
  }
  return { kind: 'port.delete', deviceId: computeDevice(port), addresses };
}

/** `device_id` when `device_owner` says the port belongs to a Nova server (compute:<az>). */
function computeDevice(port: unknown): string | null {
  if (!isRecord(port)) return null;
  const owner = port['device_owner'];
  const device = port['device_id'];
  return typeof owner === 'string' && owner.startsWith('compute:') && typeof device === 'string' && device !== '' ? device : null;
}

/**
 * nova-network's `network.floating_ip.associate` / `.disassociate` (removed
 * from Nova long ago, kept because novajoin listened for it). Its payload was
 * never versioned, so only `floating_ip` is required.
 */
export function legacyFloatingIpEvent(kind: 'nova.floating_ip.associate' | 'nova.floating_ip.disassociate', payload: unknown): NovaEvent {
  if (!isRecord(payload)) throw new PoisonMessage('payload is not an object');
  const floatingIp = payload['floating_ip'];
  if (typeof floatingIp !== 'string' || floatingIp === '') throw new PoisonMessage('payload has no floating_ip');
  const instanceId = payload['instance_id'];
  return { kind, floatingIp, instanceId: typeof instanceId === 'string' && instanceId !== '' ? instanceId : null };
}
