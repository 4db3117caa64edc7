/**
 * Project id -> name, for FQDN templates and per-project policy. Names rarely
 * change, so they are cached for minutes, and concurrent lookups of one
 * project during a boot storm become one Keystone call.
 */
import { isObject } from './catalog.js';
import { UnexpectedResponse } from './errors.js';
import { abortable } from './http.js';
import type { KeystoneSession } from './keystone-session.js';
import { SingleFlight } from './single-flight.js';
import { TtlCache } from './ttl-cache.js';

export interface ProjectDirectory {
  /** The project's name, or null when Keystone does not know the id. */
  projectName(projectId: string, signal?: AbortSignal): Promise<string | null>;
}

export interface KeystoneProjectsOptions {
  readonly session: KeystoneSession;
  readonly ttlMs?: number;
  readonly maxEntries?: number;
  readonly now?: () => number;
}

export class KeystoneProjects implements ProjectDirectory {
  private readonly cache: TtlCache<string>;
  private readonly flights = new SingleFlight<string | null>();
  private readonly now: () => number;

  constructor(private readonly options: KeystoneProjectsOptions) {
    this.now = options.now ?? Date.now;
    this.cache = new TtlCache(options.maxEntries ?? 10_000, this.now);
  }

  async projectName(projectId: string, signal?: AbortSignal): Promise<string | null> {
    if (!projectId) return null;
    const cached = this.cache.get(projectId);
    if (cached !== undefined) return cached;
    return abortable(
      this.flights.run(projectId, () => this.lookup(projectId)),
      signal,
      'keystone',
    );
  }

  private async lookup(projectId: string): Promise<string | null> {
    const { session } = this.options;
    const base = await session.endpoint('identity');
    const result = await session.request('keystone', `${base}/projects/${encodeURIComponent(projectId)}`);
    // Not cached: a project created a moment ago must be found on the next call.
    if (result.status === 404) return null;
    const project = isObject(result.body) && isObject(result.body.project) ? result.body.project : undefined;
    if (result.status !== 200 || typeof project?.name !== 'string') {
      throw new UnexpectedResponse('keystone', result.status, `Keystone answered GET /v3/projects/{id} with HTTP ${result.status}${result.status === 403 ? '; our service user needs a role that may read projects' : ''}`);
    }
    this.cache.set(projectId, project.name, this.now() + (this.options.ttlMs ?? 600_000));
    return project.name;
  }
}
