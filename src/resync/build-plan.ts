/**
 * Desired state (Nova) against actual state (FreeIPA) gives the plan. Pure:
 * the same inputs give the same plan, so it is tested without servers and
 * the CLI and the periodic resync share it.
 *
 * Rules, per host the service created:
 * - its instance is not in Nova (any status): stale, remove it;
 * - its instance is there but in another project: a conflict (binding and
 *   Nova disagree), an operator decides;
 * - it was handed an OTP over stale_otp_age ago and never enrolled: remove
 *   it (the OTP is revoked with it; the instance's next join creates the
 *   host again);
 * - otherwise its services, subhosts and attributes are diffed as the
 *   listener's update does (drift.ts).
 * Per server that asks to enroll and has no host: if its name is held by a
 * host bound to another instance, a conflict, resolved by removing the
 * holder when the holder's instance is gone. Subhosts whose instance and
 * host are both gone are orphans.
 */
import { computeFqdn, validateHostname } from '../domain/hostname.js';
import type { EnrollmentPolicy } from '../domain/model.js';
import type { ActualHost, ActualState } from './actual.js';
import type { DesiredState, ServerFacts } from './desired.js';
import { describeOp, hostDrift } from './drift.js';
import type { ConflictItem, PlanItem, PlanKind, ResyncPlan } from './types.js';

export interface PlanOptions {
  readonly policy: EnrollmentPolicy;
  /** Epoch ms. */
  readonly now: number;
  readonly staleOtpAgeMs: number;
  /**
   * has_password as FreeIPA reports it, for the hosts staleOtpCandidates
   * named; the inventory alone cannot tell a re-issued OTP from a host
   * disabled after a rebuild.
   */
  readonly hasPassword?: ReadonlyMap<string, boolean>;
}

const KIND_ORDER: readonly PlanKind[] = ['stale-host', 'conflict', 'stale-otp', 'orphan-subhost', 'drift'];

/** Hosts bound to a live instance, without keys, whose OTP is older than the limit: FreeIPA must say whether an OTP is still set. */
export function staleOtpCandidates(actual: ActualState, desired: DesiredState, opts: Pick<PlanOptions, 'now' | 'staleOtpAgeMs'>): string[] {
  const out: string[] = [];
  for (const host of actual.hosts.values()) {
    if (host.binding?.kind !== 'host' || host.hasKeytab) continue;
    if (!desired.servers.has(host.binding.instanceId.toLowerCase())) continue;
    if (isOld(host, opts)) out.push(host.fqdn);
  }
  return out;
}

function isOld(host: ActualHost, opts: Pick<PlanOptions, 'now' | 'staleOtpAgeMs'>): boolean {
  return host.binding?.kind === 'host' && host.binding.issuedAt * 1000 + opts.staleOtpAgeMs < opts.now;
}

export function buildPlan(actual: ActualState, desired: DesiredState, opts: PlanOptions): ResyncPlan {
  const byHost = new Map<string, PlanItem>();
  const conflicts = new Map<string, ConflictItem>();
  const skipped: { instanceId: string; reason: string }[] = [];
  let hosts = 0;
  let subhosts = 0;

  for (const host of actual.hosts.values()) {
    const binding = host.binding;
    if (binding?.kind === 'host') {
      hosts++;
      const base = { fqdn: host.fqdn, instanceId: binding.instanceId, projectId: binding.projectId };
      const facts = desired.servers.get(binding.instanceId.toLowerCase());
      if (!facts) {
        byHost.set(host.fqdn, { kind: 'stale-host', ...base, action: 'delete-host', detail: 'instance gone from Nova: remove the host' });
        continue;
      }
      if (facts.server.projectId && facts.server.projectId !== binding.projectId) {
        byHost.set(host.fqdn, {
          kind: 'conflict',
          ...base,
          wantedBy: { instanceId: facts.server.id, projectId: facts.server.projectId },
          holderExists: true,
          action: 'none',
          detail: `bound to project ${binding.projectId} but Nova has the instance in project ${facts.server.projectId}: check and fix the host's description by hand`,
        });
        continue;
      }
      const waiting = opts.hasPassword?.get(host.fqdn) ?? host.hasPassword;
      if (!host.hasKeytab && waiting && isOld(host, opts)) {
        const issuedMs = binding.issuedAt * 1000;
        byHost.set(host.fqdn, {
          kind: 'stale-otp',
          ...base,
          issuedAt: new Date(issuedMs).toISOString(),
          ageSeconds: Math.floor((opts.now - issuedMs) / 1000),
          action: 'delete-host',
          detail: `OTP issued ${new Date(issuedMs).toISOString()} and never used: remove the host (revokes the OTP; the instance's next join creates it again)`,
        });
        continue;
      }
      const drift = hostDrift(host, { instanceId: binding.instanceId, projectId: binding.projectId }, facts, actual, opts.policy);
      if (drift.ops.length > 0) {
        byHost.set(host.fqdn, { kind: 'drift', ...base, action: 'update-host', changes: drift.ops, refused: drift.refused, detail: drift.ops.map(describeOp).join(', ') });
      }
    } else if (binding?.kind === 'subhost') {
      subhosts++;
      const instance = binding.instanceId?.toLowerCase();
      if (!instance || desired.servers.has(instance)) continue;
      const hasHost = (actual.byInstance.get(instance) ?? []).some((h) => h.binding?.kind === 'host');
      if (!hasHost) {
        byHost.set(host.fqdn, {
          kind: 'orphan-subhost',
          fqdn: host.fqdn,
          instanceId: binding.instanceId!,
          projectId: binding.projectId,
          action: 'delete-subhost',
          detail: 'instance and its host gone: remove the subhost',
        });
      }
    }
  }

  let enrolling = 0;
  let notEnrolled = 0;
  for (const facts of desired.servers.values()) {
    if (!facts.asksToEnroll) continue;
    enrolling++;
    const own = actual.byInstance.get(facts.server.id.toLowerCase()) ?? [];
    if (own.some((h) => h.binding?.kind === 'host')) continue;
    let fqdn: string;
    try {
      fqdn = wantedFqdn(facts, opts.policy);
    } catch (error) {
      skipped.push({ instanceId: facts.server.id, reason: (error as Error).message });
      continue;
    }
    const holder = actual.hosts.get(fqdn);
    if (!holder) {
      notEnrolled++;
      continue;
    }
    if (conflicts.has(fqdn)) continue; // one host, one conflict: the first server found names it
    const existing = byHost.get(fqdn);
    if (existing?.kind === 'conflict') continue;
    if (existing?.kind === 'stale-otp') continue; // removing the never-used host frees the name
    const conflict = conflictFor(holder, facts, desired);
    conflicts.set(fqdn, conflict);
    // A stale holder's removal is the conflict's resolution: one item, not two.
    if (existing?.kind === 'stale-host') byHost.delete(fqdn);
  }

  const items = [...byHost.values(), ...conflicts.values()].sort(
    (a, b) => KIND_ORDER.indexOf(a.kind) - KIND_ORDER.indexOf(b.kind) || a.fqdn.localeCompare(b.fqdn),
  );
  const byKind = Object.fromEntries(KIND_ORDER.map((k) => [k, 0])) as Record<PlanKind, number>;
  for (const item of items) byKind[item.kind]++;
  return {
    items,
    skipped,
    summary: { hosts, subhosts, servers: desired.servers.size, enrolling, notEnrolled, unnamed: skipped.length, byKind },
  };
}

/** The FQDN the join would give this server (flow 1). */
export function wantedFqdn(facts: ServerFacts, policy: EnrollmentPolicy): string {
  const hostname = validateHostname(facts.server.hostname, policy.naming.domain);
  return computeFqdn(hostname, { id: facts.server.projectId, name: facts.projectName }, policy.naming);
}

/** `holder` has the name `facts` wants: resolved by removing a holder whose instance is gone, else for an operator. */
function conflictFor(holder: ActualHost, facts: ServerFacts, desired: DesiredState): ConflictItem {
  const wantedBy = { instanceId: facts.server.id, projectId: facts.server.projectId };
  const binding = holder.binding;
  if (binding?.kind === 'host') {
    const holderExists = desired.servers.has(binding.instanceId.toLowerCase());
    return {
      kind: 'conflict',
      fqdn: holder.fqdn,
      instanceId: binding.instanceId,
      projectId: binding.projectId,
      wantedBy,
      holderExists,
      action: holderExists ? 'none' : 'delete-host',
      detail: holderExists
        ? `name wanted by instance ${facts.server.id}; the holder's instance still exists: rename one of them`
        : `name wanted by instance ${facts.server.id}; the holder's instance is gone: remove the host to free the name`,
    };
  }
  return {
    kind: 'conflict',
    fqdn: holder.fqdn,
    instanceId: binding?.instanceId ?? '',
    projectId: binding?.projectId ?? '',
    wantedBy,
    holderExists: true,
    action: 'none',
    detail: `name wanted by instance ${facts.server.id}, but it is a subhost of project ${binding?.projectId ?? '?'}: rename the instance or free the subhost`,
  };
}
