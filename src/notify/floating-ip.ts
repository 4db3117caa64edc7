import { isRecord } from './envelope.js';
import { PoisonMessage } from './errors.js';
import type { NovaEvent } from './types.js';

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
  const details = fip['port_details'];
  let deviceId: string | null = null;
  if (isRecord(details)) {
    const owner = details['device_owner'];
    const device = details['device_id'];
    if (typeof owner === 'string' && owner.startsWith('compute:') && typeof device === 'string' && device !== '') {
      deviceId = device;
    }
  }
  return { kind: 'floatingip.associate', floatingIp, portId, deviceId };
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
