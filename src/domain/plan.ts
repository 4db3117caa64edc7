/**
 * Diffs of the desired model against what FreeIPA holds. Pure: given the
 * read result they return the write operations, so join, update, delete and
 * resync share every rule about ownership (B2, B4) and about what is removed.
 */
import { formatBinding, type HostBinding } from './binding.js';
import type { DesiredEnrollment } from './model.js';
import type { HostState, ReadResult, ServiceState, WriteOp } from './ports.js';

export interface Owner {
  readonly instanceId: string;
  readonly projectId: string;
}

/** How a host relates to an instance. */
export type Ownership = 'absent' | 'ours' | 'other-instance' | 'foreign';

export function hostOwnership(host: HostState | null | undefined, owner: Owner): Ownership {
  if (!host) return 'absent';
  const binding = host.binding;
  if (binding?.kind !== 'host') return 'foreign';
  return binding.instanceId === owner.instanceId && binding.projectId === owner.projectId ? 'ours' : 'other-instance';
}

/**
 * Whether services may be put on `host` for this instance (B4): its own host,
 * a subhost bound to it, or a shared subhost of its project. Never a host of
 * another instance or one novajoin did not create.
 */
export function mayUseSubhost(host: HostState | null | undefined, owner: Owner, ownFqdn: string): boolean {
  if (!host) return true;
  if (host.fqdn === ownFqdn) return hostOwnership(host, owner) === 'ours';
  const binding = host.binding;
  if (binding?.kind !== 'subhost' || binding.projectId !== owner.projectId) return false;
  return binding.instanceId === null || binding.instanceId === owner.instanceId;
}

export interface ServicePlan {
  readonly ops: WriteOp[];
  readonly refused: { source: string; reason: string }[];
}

/**
 * What the services and subhosts of `desired` need added. Hosts and services
 * missing from `read` are created; existing ones get this host as a manager.
 */
export function planServiceAdds(desired: DesiredEnrollment, read: ReadResult, owner: Owner): ServicePlan {
  const ops: WriteOp[] = [];
  const refused: { source: string; reason: string }[] = [];
  const usable = new Set<string>([desired.fqdn]);
  for (const subhost of desired.subhosts) {
    const state = read.hosts.get(subhost.fqdn) ?? null;
    if (!mayUseSubhost(state, owner, desired.fqdn)) {
      refused.push({ source: subhost.fqdn, reason: `host ${subhost.fqdn} exists and is not owned by this instance or project` });
      continue;
    }
    usable.add(subhost.fqdn);
    if (!state) {
      ops.push({ op: 'addHost', fqdn: subhost.fqdn, otp: null, description: formatBinding(subhost.binding) });
      ops.push({ op: 'addHostManager', fqdn: subhost.fqdn, manager: desired.fqdn });
    } else if (!state.managedBy.includes(desired.fqdn)) {
      ops.push({ op: 'addHostManager', fqdn: subhost.fqdn, manager: desired.fqdn });
    }
  }
  for (const service of desired.services) {
    if (!usable.has(service.host)) {
      refused.push({ source: service.source, reason: `service ${service.principal} is on a host this instance does not own` });
      continue;
    }
    const state = read.services.get(service.principal) ?? null;
    if (!state) ops.push({ op: 'addService', principal: service.principal });
    if (!state?.managedBy.includes(desired.fqdn)) ops.push({ op: 'addServiceHost', principal: service.principal, host: desired.fqdn });
  }
  return { ops, refused };
}

/** The binding for a host's next OTP: generation moves on, issued now. */
export function nextBinding(owner: Owner, current: HostBinding | null, now: number): HostBinding {
  return {
    kind: 'host',
    instanceId: owner.instanceId,
    projectId: owner.projectId,
    generation: (current?.generation ?? 0) + 1,
    issuedAt: Math.floor(now / 1000),
  };
}

/** Host attributes that differ from what metadata asks for now (update). */
export function planAttributeChanges(desired: DesiredEnrollment, host: HostState): WriteOp[] {
  const { userClass, location, osVersion } = desired.attributes;
  const change: { userClass?: string | null; location?: string | null; osVersion?: string | null } = {};
  const currentClass = host.userClass[0] ?? null;
  if (userClass !== currentClass && !(userClass === null && host.userClass.length === 0)) change.userClass = userClass;
  if (location !== host.location) change.location = location;
  if (osVersion !== null && osVersion !== host.osVersion) change.osVersion = osVersion;
  return Object.keys(change).length ? [{ op: 'modifyHost', fqdn: host.fqdn, ...change }] : [];
}

/**
 * Removal of what the instance no longer asks for, or of everything when
 * `desired` is null (delete). Only objects novajoin made are touched: its
 * subhosts and the services on them. Services an administrator put on the
 * instance's own host are left alone (host_del removes those with the host).
 */
export function planRemovals(desired: DesiredEnrollment | null, read: ReadResult, hostFqdn: string, owner: Owner): WriteOp[] {
  const ops: WriteOp[] = [];
  const wantedServices = new Set(desired?.services.map((s) => s.principal) ?? []);
  const wantedSubhosts = new Set(desired?.subhosts.map((s) => s.fqdn) ?? []);
  const ourSubhosts = new Map<string, HostState>();

  for (const host of read.hostsOfInstance) {
    const binding = host.binding;
    if (binding?.kind === 'subhost' && binding.instanceId === owner.instanceId && binding.projectId === owner.projectId) {
      ourSubhosts.set(host.fqdn, host);
    }
  }
  for (const service of read.servicesManagedBy) {
    if (!service.managedBy.includes(hostFqdn) || wantedServices.has(service.principal)) continue;
    const serviceHost = principalHost(service.principal);
    if (serviceHost === null || serviceHost === hostFqdn) continue;
    const subhost = read.hosts.get(serviceHost) ?? ourSubhosts.get(serviceHost) ?? null;
    if (subhost?.binding?.kind !== 'subhost' || subhost.binding.projectId !== owner.projectId) continue; // not a host novajoin made
    if (ourSubhosts.has(serviceHost) && !wantedSubhosts.has(serviceHost)) continue; // goes with its subhost
    const others = otherManagers(service, hostFqdn);
    ops.push(others.length ? { op: 'removeServiceHost', principal: service.principal, host: hostFqdn } : { op: 'deleteService', principal: service.principal });
  }
  for (const fqdn of ourSubhosts.keys()) {
    if (!wantedSubhosts.has(fqdn)) ops.push({ op: 'deleteHost', fqdn, updateDns: true });
  }
  return ops;
}

function otherManagers(service: ServiceState, hostFqdn: string): string[] {
  const own = principalHost(service.principal);
  return service.managedBy.filter((h) => h !== hostFqdn && h !== own);
}

/** "svc/host@REALM" -> host. */
export function principalHost(principal: string): string | null {
  const match = /^[^/]+\/([^@]+)(@.*)?$/.exec(principal);
  return match?.[1]?.toLowerCase() ?? null;
}

