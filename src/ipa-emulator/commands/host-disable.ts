/**
 * host_disable (ipaserver/plugins/host.py, FreeIPA 4.9): masters refused;
 * the certificates and keys of the host and of its services go, and a host
 * with neither is already disabled.
 */
import { AlreadyInactiveError } from '../../freeipa/errors.js';
import { disableOwnerCertificates } from '../ca/owners.js';
import type { CommandContext, CommandDef } from '../command.js';
import { passwordFlags } from '../objects.js';
import type { Params } from '../params.js';
import { first } from '../store.js';
import { principalOf, refuseMaster, requireHost, servicesOfHost } from './host-entry.js';
import { hostKey } from './host-name.js';
import { fqdnArg } from './host-options.js';

async function hostDisable(ctx: CommandContext, params: Params) {
  const key = hostKey(params.fqdn);
  const entry = await requireHost(ctx, key);
  const fqdn = first(entry, 'fqdn') ?? key;
  await refuseMaster(ctx, fqdn);
  let done = false;
  for (const service of await servicesOfHost(ctx, fqdn)) {
    // service_disable of each: certificates first (with a CA), then keys.
    if (await disableOwnerCertificates(ctx, { service: principalOf(service) }, service.dn)) done = true;
    if ((await passwordFlags(ctx, 'service', service)).has_keytab) {
      await ctx.store.modify(service.dn, [
        { op: 'replace', attr: 'krbprincipalkey', values: [] },
        { op: 'replace', attr: 'krblastpwdchange', values: [] },
      ]);
      done = true;
    }
  }
  if (await disableOwnerCertificates(ctx, { host: fqdn }, entry.dn)) done = true;
  if ((await passwordFlags(ctx, 'service', entry)).has_keytab) {
    // ldap2.remove_principal_key: both the keys and the time they were set go.
    await ctx.store.modify(entry.dn, [
      { op: 'replace', attr: 'krbprincipalkey', values: [] },
      { op: 'replace', attr: 'krblastpwdchange', values: [] },
    ]);
    done = true;
  }
  if (!done) throw new AlreadyInactiveError('This entry is already disabled');
  return { result: true, value: key, summary: `Disabled host "${key}"` };
}

export const hostDisableCommand: CommandDef = {
  name: 'host_disable',
  write: true,
  args: [fqdnArg],
  options: [],
  run: hostDisable,
};
