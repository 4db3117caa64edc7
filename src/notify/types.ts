/**
 * What the notification listener hands to the domain: one typed event per
 * Nova/Neutron notification, whatever format (legacy or versioned, oslo
 * envelope or bare) it arrived in. The domain never sees AMQP or oslo.
 */

/** The facts about an instance that every instance event carries. */
export interface InstanceFacts {
  readonly instanceId: string;
  /** The owning project (`tenant_id`); '' when the notification lacks it. */
  readonly projectId: string;
  /** Nova's short hostname (`hostname` / `host_name`). */
  readonly hostname: string | null;
  readonly displayName: string | null;
  /** Glance image id; '' means boot from volume; null when the notification does not say. */
  readonly imageId: string | null;
  /** Server metadata (string to string). */
  readonly metadata: Readonly<Record<string, string>>;
  /** Legacy `image_meta` (image properties copied at boot); {} for versioned notifications. */
  readonly imageMeta: Readonly<Record<string, string>>;
  readonly fixedIps: readonly FixedIp[];
  /** vm_state, e.g. active, deleted. */
  readonly state: string | null;
}

export interface FixedIp {
  readonly address: string;
  readonly version: 4 | 6;
}

export type InstanceEventKind = 'instance.create' | 'instance.update' | 'instance.rebuild' | 'instance.delete';

export type NovaEvent =
  | { readonly kind: InstanceEventKind; readonly instance: InstanceFacts }
  | {
      readonly kind: 'floatingip.associate';
      readonly floatingIp: string;
      readonly portId: string;
      /** `port_details.device_id` when `device_owner` starts with `compute:` (the server uuid); else null. */
      readonly deviceId: string | null;
    }
  | { readonly kind: 'floatingip.disassociate'; readonly floatingIp: string }
  | {
      /** `floatingip.delete.end`: the address is released. null fields: the payload does not say (older Neutron sends only the id). */
      readonly kind: 'floatingip.delete';
      readonly floatingIp: string | null;
      readonly portId: string | null;
      readonly deviceId: string | null;
    }
  | {
      /** `port.delete.end`: the port's fixed IPs are released; `deviceId` is the server uuid for a compute port, else null. */
      readonly kind: 'port.delete';
      readonly deviceId: string | null;
      readonly addresses: readonly FixedIp[];
    }
  | {
      /** nova-network's legacy `network.floating_ip.(dis)associate`. */
      readonly kind: 'nova.floating_ip.associate' | 'nova.floating_ip.disassociate';
      readonly floatingIp: string;
      readonly instanceId: string | null;
    };

export type NovaEventKind = NovaEvent['kind'];

export interface EventEnvelope {
  /** oslo `message_id` ('' if absent). */
  readonly messageId: string;
  /** oslo `_unique_id`, used to drop duplicate deliveries. */
  readonly uniqueId: string | null;
  readonly eventType: string;
  readonly publisherId: string;
  /** As sent: upper case (INFO). */
  readonly priority: string;
  /** As sent: "YYYY-MM-DD HH:MM:SS.ffffff", UTC ('' if absent). */
  readonly timestamp: string;
  readonly event: NovaEvent;
}

/** What the delivery loop tells a handler about the delivery itself. */
export interface DeliveryContext {
  /** Aborted when the listener gives up on this delivery (drain timeout); the message is then requeued. */
  readonly signal: AbortSignal;
  /** 0 for the first try, then one more for each transient failure. */
  readonly attempt: number;
  /** The broker delivered this message before (a lost ack or a reconnect). */
  readonly redelivered: boolean;
}

/**
 * The domain side. `applied`: the work is done; `ignored`: nothing to do for
 * this event (e.g. an instance that did not ask to enroll). Throw an error
 * `isTransient()` accepts to have the message retried later; any other error
 * sends it to the dead-letter queue. Handlers must be idempotent: a message
 * can be delivered more than once (reconnects, retries, several listeners).
 */
export interface EventHandler {
  handle(envelope: EventEnvelope, context?: DeliveryContext): Promise<'applied' | 'ignored'>;
}
