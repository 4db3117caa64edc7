/**
 * Resync's inventory read through FreeIPA's JSON-RPC API (host_find,
 * service_find) instead of LDAP: for `[DEFAULT] resync_inventory = api`, where no
 * LDAP is reachable (`novajoin dev`, or a FreeIPA whose LDAP port is
 * firewalled off from the control plane).
 *
 * One search each, not paged: FreeIPA answers a find in one response, and
 * its directory caps a non-administrator's search (389-ds nsslapd-sizelimit,
 * 2,000 entries by default). A cut answer says `truncated`, and this
 * inventory then fails rather than hand resync a partial list, which would
 * make every host it missed look stale.
 */
import { BINDING_PREFIX } from '../domain/binding.js';
import { hostFind, serviceFind, type FindOutput, type IpaCommand } from './commands.js';
import type { CallOptions } from './client-types.js';
import { hasMarker, type HostRecord, type ServiceRecord } from './ldap-inventory.js';

export interface ApiInventoryOptions {
  readonly client: { call<T>(command: IpaCommand<T>, opts?: CallOptions): Promise<T> };
  /** LDAP suffix, for the DNs resync keys managedBy by (dc=example,dc=com). */
  readonly baseDn: string;
  readonly timeoutMs: number;
}

export class InventoryTruncated extends Error {
  constructor(what: string, count: number) {
    super(`FreeIPA cut its ${what} answer at ${count} entries (its search size limit); a partial list would make the missing hosts look stale. Use [DEFAULT] resync_inventory = ldap for a deployment this size`);
    this.name = 'InventoryTruncated';
  }
}

export class ApiInventory {
  constructor(private readonly options: ApiInventoryOptions) {}

  async *hosts(opts: { fqdn?: string } = {}): AsyncIterable<HostRecord> {
    // The criteria narrows the search on FreeIPA's side; the prefix test keeps only real bindings.
    const found = await this.find(hostFind(opts.fqdn ?? BINDING_PREFIX, { all: true, no_members: false, sizelimit: 0 }), 'host_find');
    for (const entry of found.result) {
      const fqdn = first(entry.fqdn);
      const description = strings(entry.description);
      if (!fqdn || (opts.fqdn === undefined && !description.some((d) => hasMarker(d, BINDING_PREFIX)))) continue;
      if (opts.fqdn !== undefined && fqdn.toLowerCase() !== opts.fqdn.toLowerCase()) continue;
      yield {
        dn: this.hostDn(fqdn),
        fqdn,
        description,
        userClass: strings(entry.userclass),
        nsHostLocation: first(entry.nshostlocation) ?? null,
        krbPrincipalName: strings(entry.krbprincipalname),
        // The API reports enrollment as has_keytab; the LDAP inventory reads the time the keys were set.
        krbLastPwdChange: entry.has_keytab === true ? (first(entry.krblastpwdchange) ?? 'enrolled') : null,
        managedBy: strings(entry.managedby_host).map((h) => this.hostDn(h)),
      };
    }
  }

  async *services(opts: { managedByDns?: string[] } = {}): AsyncIterable<ServiceRecord> {
    const found = await this.find(serviceFind(undefined, { all: true, no_members: false, sizelimit: 0 }), 'service_find');
    const wanted = opts.managedByDns ? new Set(opts.managedByDns.map((d) => d.toLowerCase())) : null;
    for (const entry of found.result) {
      const principal = first(entry.krbcanonicalname) ?? first(entry.krbprincipalname);
      if (!principal) continue;
      const managedBy = strings(entry.managedby_host).map((h) => this.hostDn(h));
      if (wanted && !managedBy.some((d) => wanted.has(d.toLowerCase()))) continue;
      yield { dn: `krbprincipalname=${principal},cn=services,cn=accounts,${this.options.baseDn}`, principal, managedBy };
    }
  }

  async close(): Promise<void> {}

  private async find<E>(command: IpaCommand<FindOutput<E>>, what: string): Promise<FindOutput<E>> {
    const found = await this.options.client.call(command, { deadline: Date.now() + this.options.timeoutMs });
    if (found.truncated) throw new InventoryTruncated(what, found.count);
    return found;
  }

  private hostDn(fqdn: string): string {
    return `fqdn=${fqdn},cn=computers,cn=accounts,${this.options.baseDn}`;
  }
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

function first(value: unknown): string | undefined {
  return strings(value)[0];
}

