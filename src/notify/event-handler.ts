/**
 * Notifications, as the domain understands them: each NovaEvent becomes one
 * call of the InstanceLifecycle, the same code resync applies with. Errors
 * keep their meaning for the consumer: FreeIPA or Neutron unavailable is
 * transient (retried), a FreeIPA refusal (ApplyError) is permanent (DLQ).
 */
import type { InstanceLifecycle, LifecycleOutcome } from '../domain/lifecycle.js';
import type { PortLookup } from '../domain/ports.js';
import type { DeliveryContext, EventEnvelope, EventHandler, InstanceFacts } from './types.js';

export interface LifecycleEventHandlerOptions {
  readonly lifecycle: InstanceLifecycle;
  /** Neutron, for floating IPs whose notification has no port_details. */
  readonly ports: PortLookup | null;
  readonly timeoutMs: number;
}

export class LifecycleEventHandler implements EventHandler {
  constructor(private readonly options: LifecycleEventHandlerOptions) {}

  async handle(envelope: EventEnvelope, context?: DeliveryContext): Promise<LifecycleOutcome> {
    const { lifecycle } = this.options;
    const event = envelope.event;
    switch (event.kind) {
      case 'instance.delete':
        return lifecycle.deleted(ref(event.instance));
      case 'instance.rebuild':
        return lifecycle.rebuilt(ref(event.instance));
      case 'instance.update':
        return lifecycle.updated(update(event.instance));
      case 'instance.create':
        return lifecycle.created({ ...update(event.instance), fixedIps: event.instance.fixedIps }, context?.attempt ?? 0);
      case 'floatingip.associate': {
        const device = event.deviceId ?? (await this.#deviceOfPort(event.portId));
        return device ? lifecycle.floatingIpAssociated({ instanceId: device, projectId: null }, event.floatingIp) : 'ignored';
      }
      case 'nova.floating_ip.associate':
        return event.instanceId ? lifecycle.floatingIpAssociated({ instanceId: event.instanceId, projectId: null }, event.floatingIp) : 'ignored';
      case 'floatingip.disassociate':
      case 'nova.floating_ip.disassociate':
        return lifecycle.floatingIpDisassociated(event.floatingIp);
      case 'floatingip.delete': {
        // Still associated when deleted: the record goes from the host bound to that server only.
        const device = event.deviceId ?? (event.portId ? await this.#deviceOfPort(event.portId) : null);
        return device && event.floatingIp ? lifecycle.addressesReleased({ instanceId: device, projectId: null }, [event.floatingIp], 'floating') : 'ignored';
      }
      case 'port.delete': {
        const addresses = event.addresses.filter((ip) => ip.version === 4).map((ip) => ip.address);
        return event.deviceId && addresses.length ? lifecycle.addressesReleased({ instanceId: event.deviceId.toLowerCase(), projectId: null }, addresses, 'fixed') : 'ignored';
      }
    }
  }

  async #deviceOfPort(portId: string): Promise<string | null> {
    if (!this.options.ports || !portId) return null;
    return this.options.ports.deviceOfPort(portId, Date.now() + this.options.timeoutMs);
  }
}

function ref(instance: InstanceFacts) {
  return { instanceId: instance.instanceId.toLowerCase(), projectId: instance.projectId || null };
}

function update(instance: InstanceFacts) {
  return {
    ...ref(instance),
    hostname: instance.hostname,
    metadata: instance.metadata,
    imageProperties: Object.keys(instance.imageMeta).length ? instance.imageMeta : null,
  };
}
