/**
 * Nova's vendordata request body (nova-wire.md 1.3), checked field by field.
 * Bad input is answered 400 with the field named, before anything is read
 * from or written to FreeIPA.
 */
import { InvalidRequest } from '../errors.js';
import type { JoinRequest } from '../domain/join.js';
import { validateHostname } from '../domain/hostname.js';
import { validateMetadata } from '../domain/metadata.js';

const ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

export function parseJoinRequest(body: Record<string, unknown>, domain: string): JoinRequest {
  const instanceId = requiredId(body, 'instance-id');
  const projectId = requiredId(body, 'project-id');
  const image = body['image-id'];
  if (image === undefined) throw new InvalidRequest('image-id is required ("" for boot from volume)', 'image-id');
  if (image !== null && (typeof image !== 'string' || (image !== '' && !ID.test(image)))) {
    throw new InvalidRequest('image-id must be an image id, "" or null', 'image-id');
  }
  return {
    instanceId: instanceId.toLowerCase(),
    projectId,
    imageId: image ?? '',
    hostname: validateHostname(body['hostname'], domain),
    metadata: validateMetadata(body['metadata']),
  };
}

function requiredId(body: Record<string, unknown>, field: string): string {
  const value = body[field];
  if (typeof value !== 'string' || value === '') throw new InvalidRequest(`${field} is required and must be a non-empty string`, field);
  if (!ID.test(value)) throw new InvalidRequest(`${field} has characters an OpenStack id does not have`, field);
  return value;
}
