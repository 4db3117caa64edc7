/**
 * host_add_cert and service_add_cert (LDAPAddAttributeViaOption in
 * baseldap.py): certificates added to an owner's `usercertificate`, which is
 * where a certificate FreeIPA's CA issued for a node lands (cert_request
 * stores it there for certmonger). The CA keeps its record of each.
 */
import { recordStoredCertificates, withCertificateAttrs } from '../ca/owners.js';
import { defineCommands, type CommandContext } from '../command.js';

import { entryOutput, OBJECTS } from '../objects.js';
import { get, p, type Params } from '../params.js';
import type { IpaEntry } from '../store.js';
import { NamedIpaError } from '../wire.js';
import { requireHost } from './host-entry.js';
import { hostKey } from './host-name.js';
import { servicePrincipal } from './principal.js';
import { requireService } from './service.js';

async function addCertificates(ctx: CommandContext, entry: IpaEntry, params: Params): Promise<IpaEntry> {
  const old = new Set(entry.attrs.usercertificate ?? []);
  const added = get.strs(params, 'usercertificate') ?? [];
  if (added.some((c) => old.has(c))) {
    throw new NamedIpaError(4038, 'AlreadyContainsValueError', "'usercertificate' already contains one or more values", { attr: 'usercertificate' });
  }
  await ctx.store.modify(entry.dn, [{ op: 'add', attr: 'usercertificate', values: added }]);
  const updated = (await ctx.store.get(entry.dn)) as IpaEntry;
  recordStoredCertificates(ctx, updated);
  return updated;
}

const options = [p.certs('usercertificate', { cli: 'certificate', required: true }), p.flag('all'), p.flag('raw'), p.flag('no_members')];

export const ownerCertCommands = defineCommands(
  {
    name: 'host_add_cert',
    write: true,
    args: [p.str('fqdn', { cli: 'hostname', required: true })],
    options,
    async run(ctx, params) {
      const key = hostKey(params.fqdn);
      const updated = await addCertificates(ctx, await requireHost(ctx, key), params);
      const result = await entryOutput(ctx, OBJECTS.host, updated, { all: get.flag(params, 'all'), raw: get.flag(params, 'raw'), noMembers: get.flag(params, 'no_members') });
      withCertificateAttrs(ctx, result, key, get.flag(params, 'raw'));
      return { result, value: key, summary: `Added certificates to host "${key}"` };
    },
  },
  {
    name: 'service_add_cert',
    write: true,
    args: [p.str('krbcanonicalname', { cli: 'canonical_principal', required: true })],
    options,
    async run(ctx, params) {
      const { principal } = servicePrincipal(String(params.krbcanonicalname), ctx.env, undefined, true);
      const updated = await addCertificates(ctx, await requireService(ctx, principal), params);
      const result = await entryOutput(ctx, OBJECTS.service, updated, { all: get.flag(params, 'all'), raw: get.flag(params, 'raw'), noMembers: get.flag(params, 'no_members') });
      withCertificateAttrs(ctx, result, principal, get.flag(params, 'raw'));
      return { result, value: principal, summary: `Added certificates to service principal "${principal}"` };
    },
  },
);

