/**
 * dnsrecord_del (ipaserver/plugins/dns.py): `del_all`, or the values named,
 * deletion of absent values refused (AttrValueNotFound), the entry removed
 * with its last record.
 */
import { AttrValueNotFoundError, NotFoundError, OptionError } from '../../freeipa/errors.js';
import type { CommandContext, CommandDef } from '../command.js';
import { hasRecords, recordDn, recordLabel } from '../dns-data.js';
import { deleteEntry, notFound, pkeyList } from '../objects.js';
import { get, p, validationError, type Params } from '../params.js';
import type { IpaEntry } from '../store.js';
import { DnsName, hasCapability } from '../wire.js';
import { nameArg, RECORD, recordName, recordOptions, recordOutput, requestedRecords, zoneArg } from './dns-record-common.js';
import { requireZone } from './dns-zone.js';

const DEL_NO_OPTION = 'Neither --del-all nor options to delete a specific record provided.\nCommand help may be consulted for all supported record types.';

async function deleteRecordEntry(ctx: CommandContext, zone: string, name: string, raw: string) {
  try {
    await deleteEntry(ctx, recordDn(ctx, zone, name));
  } catch (err) {
    if (err instanceof NotFoundError) throw notFound(RECORD, raw);
    throw err;
  }
  const capable = hasCapability(ctx.version, 'primary_key_types');
  return { result: { failed: pkeyList([], capable) }, value: pkeyList([new DnsName(raw)], capable), summary: `Deleted record "${raw}"` };
}

async function dnsrecordDel(ctx: CommandContext, params: Params) {
  const { zone } = await requireZone(ctx, String(params.dnszoneidnsname));
  const raw = String(params.idnsname);
  const name = recordName(raw, zone);
  if (get.flag(params, 'del_all')) {
    if (name === '@') throw validationError('del_all', "Zone record '@' cannot be deleted");
    return deleteRecordEntry(ctx, zone, name, raw);
  }
  const requested = requestedRecords(params, false);
  if (!Object.keys(requested).length) throw new OptionError(DEL_NO_OPTION);
  const dn = recordDn(ctx, zone, name);
  const entry = await ctx.store.get(dn);
  if (!entry) throw notFound(RECORD, raw);
  const changes = [];
  const remaining: Record<string, string[]> = { ...entry.attrs };
  for (const [attr, values] of Object.entries(requested)) {
    const left = [...(entry.attrs[attr] ?? [])];
    for (const v of values) {
      const at = left.findIndex((x) => x.toLowerCase() === v.toLowerCase());
      if (at < 0) throw new AttrValueNotFoundError(`${recordLabel(attr)} does not contain '${v}'`, { attr: recordLabel(attr), value: v });
      left.splice(at, 1);
    }
    remaining[attr] = left;
    changes.push({ op: 'replace' as const, attr, values: left });
  }
  await ctx.store.modify(dn, changes);
  const after = (await ctx.store.get(dn)) as IpaEntry;
  if (name !== '@' && !hasRecords(after)) return deleteRecordEntry(ctx, zone, name, raw);
  const capable = hasCapability(ctx.version, 'primary_key_types');
  const result = await recordOutput(ctx, after, name, params, { withDn: false });
  return { result, value: pkeyList([new DnsName(raw)], capable), summary: null };
}

export const dnsrecordDelCommand: CommandDef = {
  name: 'dnsrecord_del',
  write: true,
  args: [zoneArg, nameArg],
  options: [...recordOptions, p.int('dnsttl', { cli: 'ttl' }), p.str('dnsclass', { cli: 'class' }), p.flag('del_all'), p.flag('structured'), p.flag('raw')],
  run: dnsrecordDel,
};
