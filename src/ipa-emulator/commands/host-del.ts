/**
 * host_del (ipaserver/plugins/host.py, FreeIPA 4.9): masters refused, the
 * host's services and certificates go with it, `updatedns` removes its DNS
 * records, `continue` reports the keys that failed.
 */
import { FreeIpaError, NotFoundError } from '../../freeipa/errors.js';
import { revokeOwnerCertificates } from '../ca/owners.js';
import type { CommandContext, CommandDef } from '../command.js';
import { dnsConfigured } from '../dns-data.js';
import { deleteEntry, notFound, OBJECTS, pkeyList } from '../objects.js';
import { get, p, type Params } from '../params.js';
import { first } from '../store.js';
import { hasCapability } from '../wire.js';
import { removeHostRecords } from './host-dns-records.js';
import { principalOf, refuseMaster, requireHost, servicesOfHost } from './host-entry.js';
import { hostKey } from './host-name.js';
import { fqdnArg } from './host-options.js';

const HOST = OBJECTS.host;

async function hostDel(ctx: CommandContext, params: Params) {
  const keys = (get.strs(params, 'fqdn') ?? []).map((k) => hostKey(k));
  const deleted: string[] = [];
  const failed: string[] = [];
  for (const key of keys) {
    try {
      const entry = await requireHost(ctx, key);
      const fqdn = first(entry, 'fqdn') ?? key;
      await refuseMaster(ctx, fqdn);
      for (const service of await servicesOfHost(ctx, fqdn)) {
        // service_del of each: its certificates are revoked before it goes.
        await revokeOwnerCertificates(ctx, { service: principalOf(service) });
        await deleteEntry(ctx, service.dn);
      }
      if (get.flag(params, 'updatedns') && (await dnsConfigured(ctx))) await removeHostRecords(ctx, fqdn);
      await revokeOwnerCertificates(ctx, { host: fqdn });
      try {
        await deleteEntry(ctx, entry.dn);
      } catch (err) {
        if (err instanceof NotFoundError) throw notFound(HOST, key);
        throw err;
      }
      deleted.push(key);
    } catch (err) {
      if (!get.flag(params, 'continue') || !(err instanceof FreeIpaError)) throw err;
      failed.push(key);
    }
  }
  const capable = hasCapability(ctx.version, 'primary_key_types');
  return { result: { failed: pkeyList(failed, capable) }, value: pkeyList(deleted, capable), summary: `Deleted host "${deleted.join(',')}"` };
}

export const hostDelCommand: CommandDef = {
  name: 'host_del',
  write: true,
  args: [{ ...fqdnArg, multi: true }],
  options: [p.flag('continue'), p.flag('updatedns')],
  run: hostDel,
};
