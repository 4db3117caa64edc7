/**
 * Nova's DynamicJSON vendordata request, byte for byte as nova-wire.md 1.3
 * captured it: python-requests' headers, keystoneauth's X-Auth-Token, and a
 * body serialised the way oslo's jsonutils.dumps does (Python's json.dumps:
 * ", " and ": " separators, non-ASCII escaped, keys in Nova's order).
 */

export interface NovaInstance {
  readonly instanceId: string;
  readonly projectId: string;
  /** "" for boot from volume. */
  readonly imageId: string;
  readonly hostname: string;
  readonly metadata: Readonly<Record<string, string>>;
  /** Base64 as the user sent it, or null. */
  readonly userData: string | null;
  readonly bootRoles: string;
}

/** Python's json.dumps with its defaults (ensure_ascii, default separators). */
export function pythonJson(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return JSON.stringify(value).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return `[${value.map(pythonJson).join(', ')}]`;
  if (typeof value === 'object') {
    return `{${Object.entries(value as Record<string, unknown>).map(([k, v]) => `${pythonJson(k)}: ${pythonJson(v)}`).join(', ')}}`;
  }
  throw new TypeError(`cannot serialise ${typeof value}`);
}

/** vendordata_dynamic.py:71-78, in that key order. */
export function novaBody(instance: NovaInstance): string {
  return pythonJson({
    'project-id': instance.projectId,
    'instance-id': instance.instanceId,
    'image-id': instance.imageId,
    'user-data': instance.userData,
    hostname: instance.hostname,
    metadata: instance.metadata,
    'boot-roles': instance.bootRoles,
  });
}

/** The headers of the captured request, in its order (Host first, as python-requests sends it). */
export function novaHeaders(host: string, token: string | null, body: string): Record<string, string> {
  return {
    Host: host,
    'User-Agent': 'openstack-nova-vendordata',
    'Accept-Encoding': 'gzip, deflate',
    Accept: 'application/json',
    Connection: 'keep-alive',
    'Content-Type': 'application/json',
    ...(token ? { 'X-Auth-Token': token } : {}),
    'Content-Length': String(Buffer.byteLength(body)),
  };
}
