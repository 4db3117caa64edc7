/**
 * dnsrecord_show and dnsrecord_find (ipaserver/plugins/dns.py): one name's
 * records, or the zone's records that match, sorted by name, with a size
 * limit.
 */
import type { CommandContext, CommandDef } from '../command.js';
import { RECORD_ATTRS, recordDn } from '../dns-data.js';
import { dnOf } from '../layout.js';
import { notFound } from '../objects.js';
import { get, p, type Params } from '../params.js';
import { f, type Filter, type IpaEntry } from '../store.js';
import { DnsName, messages } from '../wire.js';
import { nameArg, RECORD, recordName, recordOptions, recordOutput, recordOutputOptions, zoneArg } from './dns-record-common.js';
import { requireZone } from './dns-zone.js';

async function dnsrecordShow(ctx: CommandContext, params: Params) {
  const { zone } = await requireZone(ctx, String(params.dnszoneidnsname));
  const raw = String(params.idnsname);
  const name = recordName(raw, zone);
  const entry = await ctx.store.get(recordDn(ctx, zone, name));
  if (!entry) throw notFound(RECORD, raw);
  const result = await recordOutput(ctx, entry, name, params);
  return { result, value: new DnsName(raw), summary: null };
}

async function dnsrecordFind(ctx: CommandContext, params: Params) {
  const { zone } = await requireZone(ctx, String(params.dnszoneidnsname));
  const filters: Filter[] = [f.eq('objectclass', 'idnsrecord')];
  const criteria = get.str(params, 'criteria');
  if (criteria) filters.push(f.or(f.contains('idnsname', criteria)));
  const searched: string[] = [];
  const exact = get.str(params, 'idnsname');
  if (exact !== undefined) {
    const n = recordName(exact, zone);
    filters.push(n === '@' ? f.eq('idnsname', zone) : f.eq('idnsname', n));
  }
  for (const attr of RECORD_ATTRS) {
    const vs = get.strs(params, attr);
    if (!vs) continue;
    searched.push(attr);
    for (const v of vs) filters.push(f.eq(attr, v));
  }
  const ttl = get.int(params, 'dnsttl');
  if (ttl !== undefined) filters.push(f.eq('dnsttl', String(ttl)));
  const limit = get.int(params, 'sizelimit') ?? ctx.env.searchRecordsLimit;
  const zoneDn = dnOf.zone(ctx.env, zone);
  const { entries, truncated } = await ctx.store.search(zoneDn, { scope: 'sub', filter: f.and(...filters), sizeLimit: limit });
  const nameOf = (e: IpaEntry) => (e.dn.toLowerCase() === zoneDn.toLowerCase() ? '@' : (e.attrs.idnsname?.[0] ?? ''));
  entries.sort((a, b) => nameOf(a).localeCompare(nameOf(b)));
  const result = await Promise.all(
    entries.map((e) =>
      get.flag(params, 'pkey_only')
        ? { dn: e.dn, idnsname: [new DnsName(nameOf(e))] }
        : recordOutput(ctx, e, nameOf(e), params, { extra: searched }),
    ),
  );
  const out: Record<string, unknown> = { count: result.length, truncated, result, summary: null };
  if (truncated) ctx.addMessage(messages.searchResultTruncated('Configured size limit exceeded'));
  return out;
}

export const dnsrecordShowCommand: CommandDef = { name: 'dnsrecord_show', write: false, args: [zoneArg, nameArg], options: [...recordOutputOptions, p.flag('rights')], run: dnsrecordShow };

export const dnsrecordFindCommand: CommandDef = {
  name: 'dnsrecord_find',
  write: false,
  args: [zoneArg, p.str('criteria')],
  options: [
    p.str('idnsname', { cli: 'name' }),
    ...recordOptions,
    p.int('dnsttl', { cli: 'ttl' }),
    p.str('dnsclass', { cli: 'class' }),
    p.int('timelimit'),
    p.int('sizelimit'),
    p.flag('pkey_only'),
    ...recordOutputOptions,
  ],
  run: dnsrecordFind,
};
