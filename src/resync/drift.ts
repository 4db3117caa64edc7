/**
 * What InstanceLifecycle.updated would change on one instance's host, worked
 * out from the inventory instead of a FreeIPA read: the same model
 * (desiredEnrollment) and the same diffs (planAttributeChanges,
 * planServiceAdds, planRemovals), fed the same inputs. It mirrors the few
 * lines of `updated` that build those inputs (the host keeps its name; a host
 * outside the configured domain is judged in its own domain), so that the
 * dry run shows exactly what --apply then does through `updated`.
 */
import { desiredEnrollment, type EnrollmentPolicy } from '../domain/model.js';
import { planAttributeChanges, planRemovals, planServiceAdds, type Owner } from '../domain/plan.js';
import type { HostState, ReadResult, ServiceState, WriteOp } from '../domain/ports.js';
import type { ActualHost, ActualState } from './actual.js';
import type { ServerFacts } from './desired.js';

export interface HostDrift {
  readonly ops: WriteOp[];
  readonly refused: { source: string; reason: string }[];
}

export function hostDrift(host: ActualHost, owner: Owner, facts: ServerFacts, actual: ActualState, policy: EnrollmentPolicy): HostDrift {
  const domain = policy.naming.domain;
  const effective = host.fqdn.endsWith(`.${domain}`) ? policy : { ...policy, naming: { ...policy.naming, domain: host.fqdn.split('.').slice(1).join('.') } };
  const desired = desiredEnrollment(
    {
      instanceId: owner.instanceId,
      projectId: owner.projectId,
      projectName: facts.projectName,
      hostname: host.fqdn,
      fqdn: host.fqdn,
      metadata: facts.server.metadata,
      imageProperties: facts.imageProperties,
    },
    effective,
  );
  const hosts = new Map<string, HostState | null>(desired.subhosts.map((s) => [s.fqdn, actual.hosts.get(s.fqdn) ?? null]));
  const services = new Map<string, ServiceState | null>(desired.services.map((s) => [s.principal, actual.services.get(s.principal.toLowerCase()) ?? null]));
  const read: ReadResult = {
    hosts,
    services,
    hostsOfInstance: actual.byInstance.get(owner.instanceId.toLowerCase()) ?? [],
    servicesManagedBy: actual.managedBy.get(host.fqdn) ?? [],
    recordsWithAddress: [],
  };
  const adds = planServiceAdds(desired, read, owner);
  // nsOsVersion is not read from the inventory: compare it as equal rather
  // than report a change that may not be one (updated sets it when it differs).
  const comparable: HostState = { ...host, osVersion: desired.attributes.osVersion };
  const ops = [...planAttributeChanges(desired, comparable), ...adds.ops, ...planRemovals(desired, read, host.fqdn, owner)];
  return { ops, refused: [...desired.refused, ...adds.refused] };
}

/** One short phrase per operation, for the table. */
export function describeOp(op: WriteOp): string {
  switch (op.op) {
    case 'addHost':
      return `+subhost ${op.fqdn}`;
    case 'deleteHost':
      return `-subhost ${op.fqdn}`;
    case 'addHostManager':
      return `+manager ${op.manager} of ${op.fqdn}`;
    case 'addService':
      return `+service ${op.principal}`;
    case 'deleteService':
      return `-service ${op.principal}`;
    case 'addServiceHost':
      return `+${op.host} manages ${op.principal}`;
    case 'removeServiceHost':
      return `-${op.host} manages ${op.principal}`;
    case 'modifyHost': {
      const parts: string[] = [];
      if (op.userClass !== undefined) parts.push(`userclass=${op.userClass ?? '(none)'}`);
      if (op.location !== undefined) parts.push(`location=${op.location ?? '(none)'}`);
      if (op.osVersion !== undefined) parts.push(`os=${op.osVersion ?? '(none)'}`);
      return `set ${parts.join(' ')}`;
    }
    case 'setOtp':
      return `new OTP for ${op.fqdn}`;
    case 'disableHost':
      return `disable ${op.fqdn}`;
    case 'addARecord':
      return `+A ${op.fqdn} ${op.address}`;
    case 'deleteARecord':
      return `-A ${op.fqdn} ${op.address}`;
  }
}

/** An operation as JSON: never an OTP, even though drift never plans one. */
export function opForJson(op: WriteOp): Record<string, unknown> {
  const { ...copy } = op as unknown as Record<string, unknown>;
  delete copy['otp'];
  return copy;
}
