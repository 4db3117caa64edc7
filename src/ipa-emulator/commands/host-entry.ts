/**
 * A host's entry and what hangs on it: its object classes, the entry itself
 * (NotFound when absent), whether the host is an IPA master, and the services whose
 * principals belong to it.
 */
import type { CommandContext } from '../command.js';
import { rdn } from '../dn.js';
import { containers } from '../layout.js';
import { findHost, notFound, OBJECTS } from '../objects.js';
import { validationError } from '../params.js';
import { f, first, type IpaEntry } from '../store.js';
import { serviceHostname } from './principal.js';

export const HOST_OBJECTCLASSES = ['ipaobject', 'nshost', 'ipahost', 'pkiuser', 'ipaservice'];

export async function isMaster(ctx: CommandContext, fqdn: string): Promise<boolean> {
  return (await ctx.store.get(`${rdn('cn', fqdn)},${containers(ctx.env).masters}`)) !== null;
}

/** baseldap.host_is_master */
export async function refuseMaster(ctx: CommandContext, fqdn: string): Promise<void> {
  if (await isMaster(ctx, fqdn)) throw validationError('hostname', 'An IPA master host cannot be deleted or disabled');
}

export async function requireHost(ctx: CommandContext, key: string): Promise<IpaEntry> {
  const entry = await findHost(ctx, key);
  if (!entry) throw notFound(OBJECTS.host, key);
  return entry;
}

/** Services whose principal's host part is `fqdn` (host_del/host_disable use service_find(fqdn) then filter). */
export async function servicesOfHost(ctx: CommandContext, fqdn: string): Promise<IpaEntry[]> {
  const { entries } = await ctx.store.search(containers(ctx.env).services, {
    scope: 'one',
    filter: f.and(f.eq('objectclass', 'ipaservice'), f.contains('krbprincipalname', fqdn)),
  });
  return entries.filter((e) => {
    const principal = first(e, 'krbcanonicalname') ?? first(e, 'krbprincipalname') ?? '';
    return serviceHostname(principal)?.toLowerCase() === fqdn;
  });
}

export function principalOf(service: IpaEntry): string {
  return first(service, 'krbcanonicalname') ?? first(service, 'krbprincipalname') ?? '';
}
