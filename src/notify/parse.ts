import { clip } from './bounded-text.js';
import { isRecord, parseOsloMessage, type OsloMessage } from './envelope.js';
import { PoisonMessage } from './errors.js';
import { legacyFloatingIpEvent, neutronFloatingIpDeleteEvent, neutronFloatingIpEvent, neutronPortDeleteEvent } from './floating-ip.js';
import { legacyInstanceFacts, versionedInstanceFacts } from './instance-facts.js';
import type { EventEnvelope, InstanceEventKind, NovaEvent } from './types.js';

/**
 * From AMQP body to what the domain acts on: one of three outcomes, or a
 * PoisonMessage thrown. The table below is the whole list of event types the
 * service reacts to (design flows 3-6); everything else is `ignored`.
 */

/** The message is one we act on. */
export interface ParsedEvent {
  readonly outcome: 'event';
  readonly envelope: EventEnvelope;
}

/** An event type we do not act on (instance.power_off.end, ...): acked, logged at debug. */
export interface IgnoredMessage {
  readonly outcome: 'ignored';
  readonly message: OsloMessage;
}

/**
 * A versioned payload whose name or MAJOR version we do not know (design B8):
 * a logged skip, acked and counted, never dead-lettered and never a crash.
 * Nova only bumps the major for incompatible changes, so reading such a
 * payload with today's rules could act on the wrong fields.
 */
export interface UnsupportedVersion {
  readonly outcome: 'unsupported_version';
  readonly message: OsloMessage;
  readonly payloadName: string;
  readonly version: string;
  /** What this build accepts for the event type, e.g. "InstanceUpdatePayload 1.x, 2.x". */
  readonly supported: string;
}

export type ParseResult = ParsedEvent | IgnoredMessage | UnsupportedVersion;

type Reader = (message: OsloMessage) => NovaEvent | UnsupportedVersion;

type VersionedSpec = { readonly kind: InstanceEventKind; readonly payloads: Readonly<Record<string, readonly number[]>> };

/** Versioned payloads and the majors we read (Zed emits the first of each). */
const VERSIONED: Readonly<Record<string, VersionedSpec>> = {
  'instance.create.end': { kind: 'instance.create', payloads: { InstanceCreatePayload: [1], InstanceActionPayload: [1] } },
  'instance.update': { kind: 'instance.update', payloads: { InstanceUpdatePayload: [1, 2] } },
  'instance.rebuild.end': { kind: 'instance.rebuild', payloads: { InstanceActionRebuildPayload: [1] } },
  'instance.delete.end': { kind: 'instance.delete', payloads: { InstanceActionPayload: [1] } },
};

const LEGACY: Readonly<Record<string, InstanceEventKind>> = {
  'compute.instance.create.end': 'instance.create',
  'compute.instance.update': 'instance.update',
  'compute.instance.rebuild.end': 'instance.rebuild',
  'compute.instance.delete.end': 'instance.delete',
};

function readVersioned(spec: VersionedSpec, message: OsloMessage): NovaEvent | UnsupportedVersion {
  const payload = message.payload;
  if (!isRecord(payload)) throw new PoisonMessage('payload is not an object');
  const name = payload['nova_object.name'];
  const version = payload['nova_object.version'];
  const data = payload['nova_object.data'];
  if (typeof name !== 'string' || typeof version !== 'string' || !isRecord(data)) {
    throw new PoisonMessage('payload is not a versioned nova object');
  }
  const major = /^(\d{1,6})\.\d{1,6}$/.exec(version)?.[1];
  if (major === undefined) throw new PoisonMessage(`payload version ${JSON.stringify(clip(version, 40))} is not MAJOR.MINOR`);
  const majors = spec.payloads[name];
  if (!majors || !majors.includes(Number(major))) {
    const supported = Object.entries(spec.payloads)
      .map(([n, ms]) => `${n} ${ms.map((m) => `${m}.x`).join(', ')}`)
      .join('; ');
    return { outcome: 'unsupported_version', message, payloadName: clip(name, 128), version, supported };
  }
  return { kind: spec.kind, instance: versionedInstanceFacts(data) };
}

function readLegacy(kind: InstanceEventKind, message: OsloMessage): NovaEvent {
  if (!isRecord(message.payload)) throw new PoisonMessage('payload is not an object');
  return { kind, instance: legacyInstanceFacts(message.payload) };
}

function readerFor(eventType: string): Reader | null {
  const versioned = VERSIONED[eventType];
  if (versioned) return (m) => readVersioned(versioned, m);
  const legacy = LEGACY[eventType];
  if (legacy) return (m) => readLegacy(legacy, m);
  switch (eventType) {
    case 'floatingip.update.end':
      return (m) => neutronFloatingIpEvent(m.payload);
    case 'floatingip.delete.end':
      return (m) => neutronFloatingIpDeleteEvent(m.payload);
    case 'port.delete.end':
      return (m) => neutronPortDeleteEvent(m.payload);
    case 'network.floating_ip.associate':
      return (m) => legacyFloatingIpEvent('nova.floating_ip.associate', m.payload);
    case 'network.floating_ip.disassociate':
      return (m) => legacyFloatingIpEvent('nova.floating_ip.disassociate', m.payload);
    default:
      return null;
  }
}

/** Normalises an already decoded oslo message. Throws PoisonMessage. */
export function normalise(message: OsloMessage): ParseResult {
  const reader = readerFor(message.eventType);
  if (!reader) return { outcome: 'ignored', message };
  const event = reader(message);
  if ('outcome' in event) return event;
  const { messageId, uniqueId, eventType, publisherId, priority, timestamp } = message;
  return { outcome: 'event', envelope: { messageId, uniqueId, eventType, publisherId, priority, timestamp, event } };
}

/** AMQP body to outcome. Throws PoisonMessage for what can never be applied. */
export function parseNotification(body: Uint8Array | string): ParseResult {
  return normalise(parseOsloMessage(body));
}

/** The event types this build acts on, for docs and `novajoin check`. */
export const HANDLED_EVENT_TYPES: readonly string[] = [
  ...Object.keys(VERSIONED),
  ...Object.keys(LEGACY),
  'floatingip.update.end',
  'floatingip.delete.end',
  'port.delete.end',
  'network.floating_ip.associate',
  'network.floating_ip.disassociate',
];
