/**
 * Image properties from Glance v2. The image is a flat object: custom
 * properties such as `ipa_enroll` are top-level string keys next to Glance's
 * own fields (nova-wire.md §5.3).
 */
import { isObject } from './catalog.js';
import { UnexpectedResponse } from './errors.js';
import { versioned } from './http.js';
import type { KeystoneSession } from './keystone-session.js';

export interface ImageInfo {
  readonly id: string;
  readonly name: string;
  readonly status: string;
  /** Custom (extra) properties only: top-level string values that are not Glance's own fields. */
  readonly properties: Readonly<Record<string, string>>;
}

export interface ImageLookup {
  /**
   * The image, or null when there is none to read: image id "" (boot from
   * volume, no call is made) or a 404 (deleted or not visible to us).
   */
  image(imageId: string, signal?: AbortSignal): Promise<ImageInfo | null>;
}

/** Fields Glance's serializer adds itself (glance/api/v2/images.py _format_image). */
const CORE_FIELDS = new Set([
  'id', 'name', 'status', 'disk_format', 'container_format', 'visibility', 'size', 'virtual_size', 'checksum',
  'protected', 'min_ram', 'min_disk', 'owner', 'created_at', 'updated_at', 'tags', 'self', 'file', 'schema',
  'os_hash_algo', 'os_hash_value', 'os_hidden', 'direct_url', 'locations', 'stores',
]);

export class GlanceImages implements ImageLookup {
  constructor(private readonly session: KeystoneSession) {}

  async image(imageId: string, signal?: AbortSignal): Promise<ImageInfo | null> {
    if (!imageId) return null;
    const base = versioned(await this.session.endpoint('image', signal), 'v2');
    const result = await this.session.request('glance', `${base}/images/${encodeURIComponent(imageId)}`, { signal });
    if (result.status === 404) return null;
    if (result.status !== 200 || !isObject(result.body)) {
      throw new UnexpectedResponse('glance', result.status, `Glance answered GET /v2/images/{id} with HTTP ${result.status}`);
    }
    return imageFromBody(result.body);
  }
}

export function imageFromBody(body: Record<string, unknown>): ImageInfo {
  const properties: Record<string, string> = {};
  for (const [key, value] of Object.entries(body)) {
    if (typeof value === 'string' && !CORE_FIELDS.has(key)) properties[key] = value;
  }
  return {
    id: typeof body.id === 'string' ? body.id : '',
    name: typeof body.name === 'string' ? body.name : '',
    status: typeof body.status === 'string' ? body.status : '',
    properties,
  };
}
