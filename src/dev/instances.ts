/**
 * The instances `novajoin dev`'s stand-in Nova lists: every instance the
 * vendordata endpoint was asked about (real Nova asks only for instances it
 * is building), until it is deleted through the stand-in's
 * `DELETE /servers/{id}`. That delete, like a notification lost in a real
 * cloud, leaves the host in FreeIPA: what `novajoin resync` is for.
 */
import type { JoinRequest } from '../domain/join.js';

export interface DevInstance {
  readonly id: string;
  readonly projectId: string;
  readonly hostname: string;
  readonly imageId: string;
  readonly metadata: Readonly<Record<string, string>>;
  readonly created: string;
}

export class DevInstances {
  private readonly byId = new Map<string, DevInstance>();

  /** Records the instance a vendordata request names; a repeat keeps the first sighting's time. */
  seen(request: JoinRequest): void {
    const id = request.instanceId.toLowerCase();
    const before = this.byId.get(id);
    this.byId.set(id, {
      id: request.instanceId,
      projectId: request.projectId,
      hostname: request.hostname,
      imageId: request.imageId,
      metadata: { ...request.metadata },
      created: before?.created ?? new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    });
  }

  get(id: string): DevInstance | undefined {
    return this.byId.get(id.toLowerCase());
  }

  delete(id: string): boolean {
    return this.byId.delete(id.toLowerCase());
  }

  /** Sorted by id, for Nova's marker paging. */
  list(): DevInstance[] {
    return [...this.byId.values()].sort((a, b) => a.id.localeCompare(b.id));
  }

  projects(): string[] {
    return [...new Set(this.list().map((i) => i.projectId))];
  }
}

/** The instance as Nova's GET /servers/detail shows it (microversion 2.x fields resync reads). */
export function novaServerBody(instance: DevInstance): Record<string, unknown> {
  return {
    id: instance.id,
    name: instance.hostname,
    'OS-EXT-SRV-ATTR:hostname': instance.hostname,
    tenant_id: instance.projectId,
    metadata: instance.metadata,
    image: instance.imageId ? { id: instance.imageId } : '',
    status: 'ACTIVE',
    addresses: {},
    created: instance.created,
  };
}
