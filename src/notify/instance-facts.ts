import { isRecord } from './envelope.js';
import { PoisonMessage } from './errors.js';
import type { FixedIp, InstanceFacts } from './types.js';

/**
 * Instance facts from the two payload families (nova-wire.md 4.2 and 4.3).
 * Every field but the uuid is read defensively: Nova adds fields in minor
 * versions and leaves many null, so absence is normal. The uuid is what every
 * flow keys on (design B2), so without it the message is poison.
 */

function str(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

function requireUuid(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.trim() === '') throw new PoisonMessage(`payload has no instance ${field}`);
  return value;
}

/**
 * Server metadata must be a string map: it decides which services a host
 * gets, so a value we would have to guess at is refused. Old Nova sent a list
 * of `{key, value}`; that is accepted too.
 */
function metadataMap(value: unknown, field: string): Record<string, string> {
  if (value === undefined || value === null) return {};
  const out: Record<string, string> = {};
  if (Array.isArray(value)) {
    for (const item of value) {
      if (!isRecord(item) || typeof item['key'] !== 'string' || typeof item['value'] !== 'string') {
        throw new PoisonMessage(`${field} is not a string map`);
      }
      out[item['key']] = item['value'];
    }
    return out;
  }
  if (!isRecord(value)) throw new PoisonMessage(`${field} is not a string map`);
  for (const [key, inner] of Object.entries(value)) {
    if (typeof inner !== 'string') throw new PoisonMessage(`${field} is not a string map (${key})`);
    out[key] = inner;
  }
  return out;
}

/** Image properties are only informative here, so odd values are dropped rather than refused. */
function lenientMap(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!isRecord(value)) return out;
  for (const [key, inner] of Object.entries(value)) if (typeof inner === 'string') out[key] = inner;
  return out;
}

/** A nova object primitive `{nova_object.data: {...}}`, or a plain dict. */
function objectData(value: unknown): Record<string, unknown> | null {
  if (!isRecord(value)) return null;
  const data = value['nova_object.data'];
  return isRecord(data) ? data : value;
}

/** `fixed_ips` (legacy) or `ip_addresses` (versioned, IpPayload objects); entries without an address are skipped. */
function fixedIps(value: unknown): FixedIp[] {
  if (!Array.isArray(value)) return [];
  const out: FixedIp[] = [];
  for (const item of value) {
    const data = objectData(item);
    const address = data ? str(data['address']) : null;
    if (!data || !address) continue;
    const declared = Number(data['version']);
    const version = declared === 4 || declared === 6 ? declared : address.includes(':') ? 6 : 4;
    out.push({ address, version });
  }
  return out;
}

/**
 * Legacy payloads give `image_ref_url` (a Glance URL, or the bare id when no
 * Glance endpoint was configured) and `image_meta.base_image_ref`, which is
 * '' for boot from volume. The latter is the more direct source.
 */
function legacyImageId(payload: Record<string, unknown>, imageMeta: Record<string, string>): string | null {
  const base = imageMeta['base_image_ref'];
  if (base !== undefined) return base;
  const url = str(payload['image_ref_url']);
  if (url === null) return null;
  const slash = url.lastIndexOf('/');
  return slash >= 0 ? url.slice(slash + 1) : url;
}

export function legacyInstanceFacts(payload: Record<string, unknown>): InstanceFacts {
  const imageMeta = lenientMap(payload['image_meta']);
  return {
    instanceId: requireUuid(payload['instance_id'], 'instance_id'),
    projectId: str(payload['tenant_id']) ?? '',
    hostname: str(payload['hostname']),
    displayName: str(payload['display_name']),
    imageId: legacyImageId(payload, imageMeta),
    metadata: metadataMap(payload['metadata'], 'metadata'),
    imageMeta,
    fixedIps: fixedIps(payload['fixed_ips']),
    state: str(payload['state']),
  };
}

/** `data` is `nova_object.data` of an InstancePayload subclass. */
export function versionedInstanceFacts(data: Record<string, unknown>): InstanceFacts {
  return {
    instanceId: requireUuid(data['uuid'], 'uuid'),
    projectId: str(data['tenant_id']) ?? '',
    hostname: str(data['host_name']),
    displayName: str(data['display_name']),
    imageId: str(data['image_uuid']),
    metadata: metadataMap(data['metadata'], 'metadata'),
    imageMeta: {},
    fixedIps: fixedIps(data['ip_addresses']),
    state: str(data['state']),
  };
}
