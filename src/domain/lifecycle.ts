/**
 * What happens to an enrolled instance after boot (design flows 3-6): the
 * notification listener and resync call these. Each finds the instance's
 * host by its binding (B2), never by name alone, and each is idempotent, so
 * a redelivered message or a second resync changes nothing more.
 */
import { AlreadyInactive, EntryNotFound, NothingToChange, ValueNotFound, type DirectoryRefusal } from './errors.js';
import type { Logger } from '../log/logger.js';
import { enrollFlag } from './metadata.js';
import { desiredEnrollment, type EnrollmentPolicy } from './model.js';
import { planAttributeChanges, planRemovals, planServiceAdds, principalHost, type Owner } from './plan.js';
import type { Directory, HostState, ProjectLookup, ReadResult, WriteOp } from './ports.js';

export type LifecycleOutcome = 'applied' | 'ignored';

export interface InstanceRef {
  readonly instanceId: string;
  /** null when the event does not say; then only the instance id must match. */
  readonly projectId: string | null;
}

export interface InstanceUpdate extends InstanceRef {
  readonly hostname: string | null;
  readonly metadata: Readonly<Record<string, string>>;
  readonly imageProperties: Readonly<Record<string, unknown>> | null;
}

export interface InstanceCreated extends InstanceUpdate {
  readonly fixedIps: readonly { readonly address: string; readonly version: 4 | 6 }[];
}

export interface LifecycleDependencies {
  readonly directory: Directory;
  readonly projects: ProjectLookup;
  readonly policy: EnrollmentPolicy;
  readonly logger: Logger;
  readonly fixedIpDns: boolean;
  readonly floatingIpDns: boolean;
  /** Budget of one event's FreeIPA work. */
  readonly timeoutMs: number;
}

/** A FreeIPA refusal that retrying will not change; the event is dead-lettered with it. */
export class ApplyError extends Error {
  constructor(message: string, readonly failures: readonly string[]) {
    super(message);
    this.name = 'ApplyError';
  }
}

/** Retries of create.end while the guest has not asked for its OTP yet (about a minute at the default backoff). */
const HOST_WAIT_ATTEMPTS = 6;

/** create.end came before the guest's first vendordata call: retried later, so the records are not lost. */
export class HostNotEnrolledYet extends Error {
  readonly transient = true;
  constructor(instanceId: string) {
    super(`no host is bound to instance ${instanceId} yet`);
    this.name = 'HostNotEnrolledYet';
  }
}

export class InstanceLifecycle {
  readonly #deps: LifecycleDependencies;
  /** Service requests refused by policy since start, for the listener's metrics. */
  refusedServices = 0;

  constructor(deps: LifecycleDependencies) {
    this.#deps = deps;
  }

  /** Flow 5: the host, its DNS records, its compact-service subhosts, and managed services no other host manages. */
  async deleted(ref: InstanceRef): Promise<LifecycleOutcome> {
    const deadline = Date.now() + this.#deps.timeoutMs;
    const found = await this.#findHost(ref, deadline);
    if (!found) return 'ignored';
    const { host, owner, hostsOfInstance } = found;
    const read = await this.#withServiceHosts(await this.#deps.directory.read({ servicesManagedBy: [host.fqdn] }, deadline), hostsOfInstance, deadline);
    const ops: WriteOp[] = [...planRemovals(null, { ...read, hostsOfInstance }, host.fqdn, owner), { op: 'deleteHost', fqdn: host.fqdn, updateDns: true }];
    await this.#apply(ops, deadline, 'delete');
    this.#deps.logger.info('host removed', { fqdn: host.fqdn, instance: ref.instanceId, operations: ops.length });
    return 'applied';
  }

  /** Flow 4 (B3): the rebuilt disk has no keytab, so the host gives up its keys and the next join hands out a new OTP. */
  async rebuilt(ref: InstanceRef): Promise<LifecycleOutcome> {
    const deadline = Date.now() + this.#deps.timeoutMs;
    const found = await this.#findHost(ref, deadline);
    if (!found) return 'ignored';
    // Always asked, not judged from the read: host_find does not report keys
    // on every FreeIPA version, and AlreadyInactive means it was done.
    await this.#apply([{ op: 'disableHost', fqdn: found.host.fqdn }], deadline, 'rebuild');
    this.#deps.logger.info('host disabled after rebuild', { fqdn: found.host.fqdn, instance: ref.instanceId });
    return 'applied';
  }

  /** Flow 3 (B9): services, subhosts and host attributes follow the metadata, both ways. */
  async updated(update: InstanceUpdate): Promise<LifecycleOutcome> {
    const deadline = Date.now() + this.#deps.timeoutMs;
    const found = await this.#findHost(update, deadline);
    if (!found) return 'ignored';
    const { host, owner, hostsOfInstance } = found;
    // A failed lookup is not "no name": judged by id, services allowed by name would be removed. It is retried.
    const projectName = await this.#deps.projects.projectName(owner.projectId, deadline);
    // The host keeps its name: it is the anchor, whatever naming says today.
    const desired = desiredEnrollment(
      { instanceId: owner.instanceId, projectId: owner.projectId, projectName, hostname: host.fqdn, fqdn: host.fqdn, metadata: update.metadata, imageProperties: update.imageProperties },
      host.fqdn.endsWith(`.${this.#deps.policy.naming.domain}`)
        ? this.#deps.policy
        : { ...this.#deps.policy, naming: { ...this.#deps.policy.naming, domain: domainOf(host.fqdn) } },
    );
    const read = await this.#withServiceHosts(
      await this.#deps.directory.read(
        { hosts: desired.subhosts.map((s) => s.fqdn), services: desired.services.map((s) => s.principal), servicesManagedBy: [host.fqdn] },
        deadline,
      ),
      hostsOfInstance,
      deadline,
    );
    const adds = planServiceAdds(desired, read, owner);
    for (const refused of [...desired.refused, ...adds.refused]) {
      this.refusedServices++;
      this.#deps.logger.warn('service request refused', { instance: owner.instanceId, ...refused });
    }
    const ops = [...planAttributeChanges(desired, host), ...adds.ops, ...planRemovals(desired, { ...read, hostsOfInstance }, host.fqdn, owner)];
    if (ops.length === 0) return 'ignored';
    await this.#apply(ops, deadline, 'update');
    this.#deps.logger.info('host updated', { fqdn: host.fqdn, instance: owner.instanceId, operations: ops.map((o) => o.op) });
    return 'applied';
  }

  /**
   * B9: A records for fixed IPs, when fixed_ip_dns is on, on the host bound
   * to this instance and project, never on whatever host has the name: the
   * hostname is the tenant's, and it may be the FreeIPA server's own. With
   * the metadata service the guest may ask for its OTP after create.end, so a
   * missing host is waited for a few retries (attempt counts them) when the
   * instance's metadata or image (legacy image_meta) says it enrolls.
   */
  async created(event: InstanceCreated, attempt = 0): Promise<LifecycleOutcome> {
    if (!this.#deps.fixedIpDns || event.projectId === null) return 'ignored';
    const deadline = Date.now() + this.#deps.timeoutMs;
    const addresses = event.fixedIps.filter((ip) => ip.version === 4).map((ip) => ip.address);
    if (addresses.length === 0) return 'ignored';
    const found = await this.#findHost(event, deadline);
    if (!found) {
      const enrolls = enrollFlag(event.metadata) ?? enrollFlag(event.imageProperties ?? {}) ?? false;
      if (!enrolls || attempt >= HOST_WAIT_ATTEMPTS) return 'ignored';
      throw new HostNotEnrolledYet(event.instanceId);
    }
    await this.#apply(addresses.map((address) => ({ op: 'addARecord', fqdn: found.host.fqdn, address })), deadline, 'create');
    return 'applied';
  }

  /**
   * A released address (a deleted floating IP still associated, a deleted
   * port's fixed IPs) leaves the host bound to the instance it was on, and
   * no other host: Neutron sends no disassociation for these.
   */
  async addressesReleased(ref: InstanceRef, addresses: readonly string[], kind: 'floating' | 'fixed'): Promise<LifecycleOutcome> {
    if (!(kind === 'floating' ? this.#deps.floatingIpDns : this.#deps.fixedIpDns) || addresses.length === 0) return 'ignored';
    const deadline = Date.now() + this.#deps.timeoutMs;
    const found = await this.#findHost(ref, deadline);
    if (!found) return 'ignored';
    await this.#apply(addresses.map((address) => ({ op: 'deleteARecord', fqdn: found.host.fqdn, address })), deadline, `${kind} ip release`);
    return 'applied';
  }

  /** Flow 6: a floating IP was associated with an instance. */
  async floatingIpAssociated(ref: InstanceRef, address: string): Promise<LifecycleOutcome> {
    if (!this.#deps.floatingIpDns) return 'ignored';
    const deadline = Date.now() + this.#deps.timeoutMs;
    const found = await this.#findHost(ref, deadline);
    if (!found) return 'ignored';
    await this.#apply([{ op: 'addARecord', fqdn: found.host.fqdn, address }], deadline, 'floating ip');
    return 'applied';
  }

  /** Flow 6: the address's A records are removed from the hosts novajoin made. */
  async floatingIpDisassociated(address: string): Promise<LifecycleOutcome> {
    if (!this.#deps.floatingIpDns) return 'ignored';
    const deadline = Date.now() + this.#deps.timeoutMs;
    const { recordsWithAddress } = await this.#deps.directory.read({ recordsWithAddress: address }, deadline);
    if (recordsWithAddress.length === 0) return 'ignored';
    const { hosts } = await this.#deps.directory.read({ hosts: recordsWithAddress }, deadline);
    const ours = recordsWithAddress.filter((fqdn) => hosts.get(fqdn)?.binding?.kind === 'host');
    if (ours.length === 0) return 'ignored';
    await this.#apply(ours.map((fqdn) => ({ op: 'deleteARecord', fqdn, address })), deadline, 'floating ip');
    return 'applied';
  }

  async #findHost(ref: InstanceRef, deadline: number): Promise<{ host: HostState; owner: Owner; hostsOfInstance: readonly HostState[] } | null> {
    const { hostsOfInstance } = await this.#deps.directory.read({ hostsOfInstance: ref.instanceId }, deadline);
    const host = hostsOfInstance.find(
      (h) => h.binding?.kind === 'host' && h.binding.instanceId === ref.instanceId && (ref.projectId === null || h.binding.projectId === ref.projectId),
    );
    if (!host || host.binding?.kind !== 'host') return null;
    return { host, owner: { instanceId: ref.instanceId, projectId: host.binding.projectId }, hostsOfInstance };
  }

  /**
   * The hosts of the services this host manages, when not read yet: whether a
   * service may be removed depends on its host being one novajoin made (a
   * shared subhost such as a VIP). One more round trip, only when needed.
   */
  async #withServiceHosts(read: ReadResult, hostsOfInstance: readonly HostState[], deadline: number): Promise<ReadResult> {
    const known = new Set([...read.hosts.keys(), ...hostsOfInstance.map((h) => h.fqdn)]);
    const missing = [...new Set(read.servicesManagedBy.map((s) => principalHost(s.principal)))].filter((h): h is string => h !== null && !known.has(h));
    if (missing.length === 0) return read;
    const { hosts } = await this.#deps.directory.read({ hosts: missing }, deadline);
    return { ...read, hosts: new Map([...read.hosts, ...hosts]) };
  }

  /** Writes; what is already done counts as done, any other refusal is an ApplyError. */
  async #apply(ops: readonly WriteOp[], deadline: number, what: string): Promise<void> {
    const results = await this.#deps.directory.write(ops, deadline);
    const failures: string[] = [];
    results.forEach((result, i) => {
      if (result.ok || alreadyDone(ops[i]!, result.error)) return;
      const op = ops[i]!;
      failures.push(`${op.op} ${'principal' in op ? op.principal : op.fqdn}: ${result.error.directoryName}: ${result.error.message}`);
    });
    if (failures.length) throw new ApplyError(`${what}: FreeIPA refused ${failures.length} of ${ops.length} operations`, failures);
  }
}

function alreadyDone(op: WriteOp, error: DirectoryRefusal): boolean {
  switch (op.op) {
    case 'deleteHost':
    case 'deleteService':
      return error instanceof EntryNotFound;
    case 'disableHost':
      return error instanceof AlreadyInactive;
    case 'addARecord':
      return error instanceof NothingToChange;
    case 'deleteARecord':
      return error instanceof ValueNotFound || error instanceof EntryNotFound;
    case 'removeServiceHost':
      return error instanceof EntryNotFound;
    default:
      return false;
  }
}

function domainOf(fqdn: string): string {
  return fqdn.split('.').slice(1).join('.');
}
