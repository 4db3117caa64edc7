/**
 * --apply: each plan item goes through the code the notification listener
 * runs (InstanceLifecycle.deleted / .updated), so resync has no rule of its
 * own about what a host, subhost or service removal means. Items are
 * independent and run a few at a time; one failure does not stop the others.
 */
import type { InstanceLifecycle } from '../domain/lifecycle.js';
import { ApplyError } from '../domain/lifecycle.js';
import { planRemovals } from '../domain/plan.js';
import type { Directory } from '../domain/ports.js';
import { EntryNotFound } from '../domain/errors.js';
import type { ActualState } from './actual.js';
import type { DesiredState } from './desired.js';
import { mapLimit } from './pool.js';
import type { ItemResult, OrphanSubhostItem, PlanItem } from './types.js';

export interface ApplyDependencies {
  readonly lifecycle: Pick<InstanceLifecycle, 'deleted' | 'updated'>;
  /** For orphan subhosts only, which have no host for the lifecycle to find. */
  readonly directory: Pick<Directory, 'write'>;
  readonly actual: ActualState;
  readonly desired: DesiredState;
  /**
   * Asks Nova for one instance just before its host is removed: a listing
   * that missed a server must never cost that server its host.
   */
  readonly serverExists: (instanceId: string) => Promise<boolean>;
  readonly concurrency: number;
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
  readonly onItem?: (result: ItemResult) => void;
}

export async function applyPlan(items: readonly PlanItem[], deps: ApplyDependencies): Promise<ItemResult[]> {
  return mapLimit(items, deps.concurrency, async (item) => {
    let result: ItemResult;
    if (deps.signal?.aborted) result = { item, outcome: 'skipped', message: 'stopped before this item' };
    else {
      try {
        result = await applyItem(item, deps);
      } catch (error) {
        const details = error instanceof ApplyError ? `: ${error.failures.join('; ')}` : '';
        result = { item, outcome: 'failed', message: `${(error as Error).message}${details}` };
      }
    }
    deps.onItem?.(result);
    return result;
  });
}

async function applyItem(item: PlanItem, deps: ApplyDependencies): Promise<ItemResult> {
  const ref = { instanceId: item.instanceId, projectId: item.projectId };
  switch (item.action) {
    case 'none':
      return { item, outcome: 'skipped', message: 'needs an operator' };
    case 'delete-host': {
      if (item.kind !== 'stale-otp' && (await deps.serverExists(item.instanceId))) {
        return { item, outcome: 'skipped', message: `Nova has instance ${item.instanceId} after all; host kept` };
      }
      const outcome = await deps.lifecycle.deleted(ref);
      return { item, outcome: outcome === 'applied' ? 'applied' : 'unchanged' };
    }
    case 'update-host': {
      const facts = deps.desired.servers.get(item.instanceId.toLowerCase());
      if (!facts) return { item, outcome: 'skipped', message: 'instance no longer listed' };
      const outcome = await deps.lifecycle.updated({
        ...ref,
        hostname: facts.server.hostname,
        metadata: facts.server.metadata,
        imageProperties: facts.imageProperties,
      });
      return { item, outcome: outcome === 'applied' ? 'applied' : 'unchanged' };
    }
    case 'delete-subhost':
      return deleteOrphan(item as OrphanSubhostItem, deps);
  }
}

/**
 * The removal a deleted instance's subhosts get (planRemovals with nothing
 * desired), for a subhost whose host is already gone, so `deleted` cannot
 * find it. NotFound means someone removed it first: done.
 */
async function deleteOrphan(item: OrphanSubhostItem, deps: ApplyDependencies): Promise<ItemResult> {
  if (await deps.serverExists(item.instanceId)) return { item, outcome: 'skipped', message: `Nova has instance ${item.instanceId} after all; subhost kept` };
  const subhost = deps.actual.hosts.get(item.fqdn);
  if (!subhost) return { item, outcome: 'unchanged' };
  const owner = { instanceId: item.instanceId, projectId: item.projectId };
  const empty = new Map();
  const ops = planRemovals(null, { hosts: empty, services: empty, hostsOfInstance: [subhost], servicesManagedBy: [], recordsWithAddress: [] }, '', owner);
  if (ops.length === 0) return { item, outcome: 'unchanged' };
  const results = await deps.directory.write(ops, Date.now() + deps.timeoutMs);
  const failures = results.flatMap((r) => (r.ok || r.error instanceof EntryNotFound ? [] : [`${r.error.directoryName}: ${r.error.message}`]));
  if (failures.length) return { item, outcome: 'failed', message: failures.join('; ') };
  return { item, outcome: results.some((r) => r.ok) ? 'applied' : 'unchanged' };
}
