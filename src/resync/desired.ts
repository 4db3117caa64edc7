/**
 * Desired state for resync: every Nova server of every project (paged with
 * limit/marker by NovaServers), with what decides its enrollment: the
 * `ipa_enroll` metadata, else the Glance image property (flow 1), and the
 * project name when naming or per-project policy needs it. Each image and
 * project is looked up once, whatever the number of servers using it.
 *
 * A lookup that fails fails the whole read: a plan built on partial facts
 * could remove what is still wanted.
 */
import { needsProjectName } from '../domain/hostname.js';
import { enrollFlag } from '../domain/metadata.js';
import type { EnrollmentPolicy } from '../domain/model.js';
import type { ImageLookup, ProjectLookup } from '../domain/ports.js';
import type { Server } from '../openstack/nova.js';
import { mapLimit } from './pool.js';

export interface ServerFacts {
  readonly server: Server;
  /** Glance properties; null for boot from volume or an image Glance no longer has. */
  readonly imageProperties: Readonly<Record<string, unknown>> | null;
  /** null when not needed or Keystone does not know the project. */
  readonly projectName: string | null;
  /** The instance asks to enroll, by its metadata or its image (design 2, flow 1). */
  readonly asksToEnroll: boolean;
}

export interface DesiredState {
  /** Every server Nova listed, by lower-case instance id. */
  readonly servers: ReadonlyMap<string, ServerFacts>;
}

export interface ServerPages {
  pages(options?: { pageSize?: number; signal?: AbortSignal }): AsyncIterable<Server[]>;
}

export interface DesiredSources {
  readonly servers: ServerPages;
  readonly images: ImageLookup;
  readonly projects: ProjectLookup;
  readonly policy: EnrollmentPolicy;
  /** Budget of one Glance or Keystone lookup. */
  readonly lookupTimeoutMs: number;
  readonly pageSize?: number;
  readonly concurrency?: number;
  readonly signal?: AbortSignal;
  readonly progress?: (what: 'servers' | 'images' | 'projects', done: number, total?: number) => void;
}

export async function readDesired(sources: DesiredSources): Promise<DesiredState> {
  const { policy, progress } = sources;
  const concurrency = sources.concurrency ?? 8;
  const listed: Server[] = [];
  for await (const page of sources.servers.pages({ pageSize: sources.pageSize ?? 1000, ...(sources.signal ? { signal: sources.signal } : {}) })) {
    listed.push(...page);
    progress?.('servers', listed.length);
  }

  const imageIds = [...new Set(listed.map((s) => s.imageId).filter((id) => id !== ''))];
  const images = new Map<string, Readonly<Record<string, unknown>> | null>();
  let done = 0;
  await mapLimit(imageIds, concurrency, async (id) => {
    sources.signal?.throwIfAborted();
    images.set(id, await sources.images.imageProperties(id, Date.now() + sources.lookupTimeoutMs));
    progress?.('images', ++done, imageIds.length);
  });

  // Names are needed for FQDN templates with {project} and for project
  // sections of join.conf, which may be named by project name.
  const wantNames = needsProjectName(policy.naming) || policy.projects.size > 0;
  const projectIds = wantNames ? [...new Set(listed.map((s) => s.projectId).filter((id) => id !== ''))] : [];
  const names = new Map<string, string | null>();
  done = 0;
  await mapLimit(projectIds, concurrency, async (id) => {
    sources.signal?.throwIfAborted();
    names.set(id, await sources.projects.projectName(id, Date.now() + sources.lookupTimeoutMs));
    progress?.('projects', ++done, projectIds.length);
  });

  const servers = new Map<string, ServerFacts>();
  for (const server of listed) {
    const imageProperties = server.imageId ? images.get(server.imageId) ?? null : null;
    const flag = enrollFlag(server.metadata);
    const asksToEnroll = flag ?? (imageProperties !== null && enrollFlag(imageProperties) === true);
    servers.set(server.id.toLowerCase(), { server, imageProperties, projectName: names.get(server.projectId) ?? null, asksToEnroll });
  }
  return { servers };
}
