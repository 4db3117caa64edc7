/**
 * One resync: read FreeIPA, read Nova, plan, and with `apply` carry the plan
 * out. Shared by `novajoin resync` and the periodic resync of novajoin-notify.
 *
 * FreeIPA is read before Nova on purpose: a host exists only after its
 * instance does, so every host in the inventory belongs to an instance Nova
 * already lists when it is read afterwards. The other order could see a brand
 * new host without its brand new instance and call it stale.
 */
import type { InstanceLifecycle } from '../domain/lifecycle.js';
import type { EnrollmentPolicy } from '../domain/model.js';
import type { Directory, ImageLookup, ProjectLookup } from '../domain/ports.js';
import { readActual, type ActualState, type InventorySource } from './actual.js';
import { applyPlan } from './apply.js';
import { buildPlan, staleOtpCandidates } from './build-plan.js';
import { readDesired, type DesiredState, type ServerPages } from './desired.js';
import { noProgress, type Progress } from './progress.js';
import type { ItemResult, PlanItem, PlanKind, ResyncPlan } from './types.js';

export interface ResyncDependencies {
  readonly inventory: InventorySource;
  readonly servers: ServerPages & { server(id: string, signal?: AbortSignal): Promise<unknown> };
  readonly images: ImageLookup;
  readonly projects: ProjectLookup;
  readonly directory: Pick<Directory, 'read' | 'write'>;
  readonly lifecycle: Pick<InstanceLifecycle, 'deleted' | 'updated'>;
  readonly policy: EnrollmentPolicy;
  readonly staleOtpAgeMs: number;
  /** Budget of one FreeIPA operation (a read, or one item's writes). */
  readonly freeipaTimeoutMs: number;
  /** Budget of one OpenStack lookup. */
  readonly lookupTimeoutMs: number;
  /** Items applied at once. */
  readonly concurrency: number;
  readonly now?: () => number;
}

export interface ResyncOptions {
  readonly apply: boolean;
  /** Only items of this project (id, or name as Keystone knows it). */
  readonly project?: string | undefined;
  /** Only items of this host (fqdn, or short name). */
  readonly host?: string | undefined;
  /** Apply even when the plan removes more than half of the hosts. */
  readonly force?: boolean;
  readonly signal?: AbortSignal | undefined;
  readonly progress?: Progress;
}

export interface ResyncReport {
  readonly plan: ResyncPlan;
  readonly results?: readonly ItemResult[];
  readonly durationMs: number;
  /** 0 in sync (or everything applied), 1 drift left, 2 some item failed. */
  readonly exitCode: 0 | 1 | 2;
}

/** The plan would remove so many hosts that a broken Nova listing is likelier than real drift. */
export class MassRemovalRefused extends Error {
  constructor(readonly removals: number, readonly hosts: number) {
    super(`the plan removes ${removals} of ${hosts} hosts; refusing to apply without --force (is Nova listing every project?)`);
    this.name = 'MassRemovalRefused';
  }
}

const CONFIRM_CHUNK = 200;
const MASS_REMOVAL_MIN = 10;

export async function runResync(deps: ResyncDependencies, options: ResyncOptions): Promise<ResyncReport> {
  const started = performance.now();
  const progress = options.progress ?? noProgress;
  const now = (deps.now ?? Date.now)();
  try {
    const actual = await readActual(deps.inventory, (what, n) => progress.update(`FreeIPA ${what}`, n));
    options.signal?.throwIfAborted();
    const desired = await readDesired({
      servers: deps.servers,
      images: deps.images,
      projects: deps.projects,
      policy: deps.policy,
      lookupTimeoutMs: deps.lookupTimeoutMs,
      ...(options.signal ? { signal: options.signal } : {}),
      progress: (what, n, total) => progress.update(what === 'servers' ? 'Nova servers' : what === 'images' ? 'Glance images' : 'Keystone projects', n, total),
    });
    options.signal?.throwIfAborted();
    const hasPassword = await confirmPasswords(deps, staleOtpCandidates(actual, desired, { now, staleOtpAgeMs: deps.staleOtpAgeMs }));
    const full = buildPlan(actual, desired, { policy: deps.policy, now, staleOtpAgeMs: deps.staleOtpAgeMs, hasPassword });
    const project = options.project ? await resolveProject(options.project, actual, desired, deps) : undefined;
    const plan = narrow(full, project, options.host);
    if (!options.apply) {
      return { plan, durationMs: performance.now() - started, exitCode: plan.items.length ? 1 : 0 };
    }

    const removals = plan.items.filter((i) => i.action === 'delete-host' || i.action === 'delete-subhost').length;
    if (!options.force && removals >= MASS_REMOVAL_MIN && removals * 2 > full.summary.hosts + full.summary.subhosts) {
      throw new MassRemovalRefused(removals, full.summary.hosts + full.summary.subhosts);
    }
    let done = 0;
    const results = await applyPlan(plan.items, {
      lifecycle: deps.lifecycle,
      directory: deps.directory,
      actual,
      desired,
      serverExists: async (id) => (await deps.servers.server(id, AbortSignal.timeout(deps.lookupTimeoutMs))) !== null,
      concurrency: deps.concurrency,
      timeoutMs: deps.freeipaTimeoutMs,
      ...(options.signal ? { signal: options.signal } : {}),
      onItem: () => progress.update('applying', ++done, plan.items.length),
    });
    const failed = results.some((r) => r.outcome === 'failed');
    const left = results.some((r) => r.outcome === 'skipped');
    return { plan, results, durationMs: performance.now() - started, exitCode: failed ? 2 : left ? 1 : 0 };
  } finally {
    progress.done();
  }
}

/** FreeIPA's own has_password for the few hosts the inventory cannot judge. */
async function confirmPasswords(deps: ResyncDependencies, fqdns: readonly string[]): Promise<Map<string, boolean>> {
  const out = new Map<string, boolean>();
  for (let i = 0; i < fqdns.length; i += CONFIRM_CHUNK) {
    const chunk = fqdns.slice(i, i + CONFIRM_CHUNK);
    const read = await deps.directory.read({ hosts: chunk }, Date.now() + deps.freeipaTimeoutMs);
    for (const fqdn of chunk) {
      const host = read.hosts.get(fqdn);
      // Gone since the inventory read: not waiting; the next run sees it as it is.
      out.set(fqdn, host?.hasPassword === true && !host.hasKeytab);
    }
  }
  return out;
}

/** A project id as given, or the id of the project with that name. */
async function resolveProject(wanted: string, actual: ActualState, desired: DesiredState, deps: ResyncDependencies): Promise<string> {
  const ids = new Set<string>();
  for (const facts of desired.servers.values()) ids.add(facts.server.projectId);
  for (const host of actual.hosts.values()) if (host.binding) ids.add(host.binding.projectId);
  if (ids.has(wanted)) return wanted;
  for (const facts of desired.servers.values()) if (facts.projectName === wanted) return facts.server.projectId;
  for (const id of ids) {
    if (!id) continue;
    const name = await deps.projects.projectName(id, Date.now() + deps.lookupTimeoutMs);
    if (name === wanted) return id;
  }
  return wanted; // unknown: matches nothing, and the table says so
}

export function narrow(plan: ResyncPlan, project: string | undefined, host: string | undefined): ResyncPlan {
  if (project === undefined && host === undefined) return plan;
  const wantedHost = host?.toLowerCase().replace(/\.$/, '');
  const keep = (item: PlanItem) => {
    if (project !== undefined && item.projectId !== project && !(item.kind === 'conflict' && item.wantedBy.projectId === project)) return false;
    if (wantedHost !== undefined && item.fqdn !== wantedHost && !(!wantedHost.includes('.') && item.fqdn.split('.')[0] === wantedHost)) return false;
    return true;
  };
  const items = plan.items.filter(keep);
  const byKind = Object.fromEntries(Object.keys(plan.summary.byKind).map((k) => [k, 0])) as Record<PlanKind, number>;
  for (const item of items) byKind[item.kind]++;
  return { ...plan, items, summary: { ...plan.summary, byKind } };
}
