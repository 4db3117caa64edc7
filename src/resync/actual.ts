/**
 * Actual state for resync: the hosts this service created and the services
 * in FreeIPA, read through the LDAP inventory (design 5: paged LDAP for reads
 * at scale, not thousands of JSON-RPC calls), turned into the domain's
 * HostState/ServiceState so the domain's plan functions read them unchanged.
 */
import { parseBinding } from '../domain/binding.js';
import type { HostState, ServiceState } from '../domain/ports.js';
import type { HostRecord, ServiceRecord } from '../freeipa/ldap-inventory.js';

export interface ActualHost extends HostState {
  readonly dn: string;
  /**
   * No principal name yet: host_add with an OTP leaves krbPrincipalName out
   * until ipa-join (freeipa-api.md 4.2, 4.4), so the first OTP is still unused.
   * A host re-issued an OTP after a rebuild keeps its principal name, so this
   * is a lower bound of "waiting"; see needsPasswordCheck.
   */
  readonly neverEnrolled: boolean;
}

export interface ActualState {
  /** By lower-case fqdn. */
  readonly hosts: ReadonlyMap<string, ActualHost>;
  /** By lower-case principal. */
  readonly services: ReadonlyMap<string, ServiceState>;
  /** Hosts whose binding (host or subhost) names the instance, by instance id (lower case). */
  readonly byInstance: ReadonlyMap<string, readonly ActualHost[]>;
  /** Services by the fqdn of each host in their managedBy. */
  readonly managedBy: ReadonlyMap<string, readonly ServiceState[]>;
}

/** The minimal inventory surface resync reads (LdapInventory has it). */
export interface InventorySource {
  hosts(opts?: { fqdn?: string }): AsyncIterable<HostRecord>;
  services(opts?: { managedByDns?: string[] }): AsyncIterable<ServiceRecord>;
}

/** `fqdn=vm1.example.com,cn=computers,...` -> vm1.example.com; null for any other DN. */
export function fqdnOfDn(dn: string): string | null {
  const match = /^\s*fqdn\s*=\s*([^,+]+?)\s*,/i.exec(dn);
  return match?.[1] ? match[1].replace(/\\(.)/g, '$1').toLowerCase() : null;
}

export function hostFromRecord(record: HostRecord): ActualHost {
  const enrolled = record.krbLastPwdChange !== null;
  const neverEnrolled = !enrolled && record.krbPrincipalName.length === 0;
  return {
    dn: record.dn,
    fqdn: record.fqdn.toLowerCase(),
    binding: parseBinding(record.description),
    hasKeytab: enrolled,
    hasPassword: neverEnrolled,
    neverEnrolled,
    userClass: record.userClass,
    location: record.nsHostLocation,
    // nsOsVersion is not in the inventory's attribute list; null means "not known here".
    osVersion: null,
    managedBy: record.managedBy.map(fqdnOfDn).filter((f): f is string => f !== null),
  };
}

export function serviceFromRecord(record: ServiceRecord): ServiceState {
  return { principal: record.principal, managedBy: record.managedBy.map(fqdnOfDn).filter((f): f is string => f !== null) };
}

export interface ReadProgress {
  (what: 'hosts' | 'services', count: number): void;
}

/** Reads every host the service created and every service (two paged searches). */
export async function readActual(inventory: InventorySource, progress?: ReadProgress): Promise<ActualState> {
  const hosts = new Map<string, ActualHost>();
  const byInstance = new Map<string, ActualHost[]>();
  for await (const record of inventory.hosts()) {
    const host = hostFromRecord(record);
    hosts.set(host.fqdn, host);
    const instance = host.binding?.kind === 'host' ? host.binding.instanceId : host.binding?.instanceId;
    if (instance) push(byInstance, instance.toLowerCase(), host);
    if (hosts.size % 100 === 0) progress?.('hosts', hosts.size);
  }
  progress?.('hosts', hosts.size);
  // All services, not only those our hosts manage: a desired service may exist
  // already, managed by someone else, and planServiceAdds must know it.
  const services = new Map<string, ServiceState>();
  const managedBy = new Map<string, ServiceState[]>();
  for await (const record of inventory.services()) {
    const service = serviceFromRecord(record);
    services.set(service.principal.toLowerCase(), service);
    for (const fqdn of service.managedBy) push(managedBy, fqdn, service);
    if (services.size % 100 === 0) progress?.('services', services.size);
  }
  progress?.('services', services.size);
  return { hosts, services, byInstance, managedBy };
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
