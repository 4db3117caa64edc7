/**
 * dnsrecord_add (ipaserver/plugins/dns.py): values merged into the name's
 * entry (an identical existing value is EmptyModlist), addresses and CNAME
 * collisions checked, PTRs made by `a_extra_create_reverse`.
 */
import { isIPv4, isIPv6 } from 'node:net';
import { DuplicateEntryError, OptionError } from '../../freeipa/errors.js';
import { applyAttrOptions, emptyModlist } from '../attr-options.js';
import type { CommandContext, CommandDef } from '../command.js';
import { addRecordValues, RECORD_ATTRS, recordDn, reverseZoneFor } from '../dns-data.js';
import { get, p, validationError, type Params } from '../params.js';
import type { IpaEntry } from '../store.js';
import { DnsName, extraErrors } from '../wire.js';
import { cliOf, nameArg, PARTS, recordName, recordOptions, recordOutput, recordOutputOptions, requestedRecords, zoneArg } from './dns-record-common.js';
import { requireZone } from './dns-zone.js';

const ADD_NO_OPTION = 'No options to add a specific record provided.\nCommand help may be consulted for all supported record types.';

const EXTRAS = ['a_extra_create_reverse', 'aaaa_extra_create_reverse'];

function validateValues(attr: string, values: readonly string[], cli: string): void {
  for (const v of values) {
    if (attr === 'arecord' && !isIPv4(v)) throw validationError(cli, 'invalid IP address format');
    if (attr === 'aaaarecord' && !isIPv6(v)) throw validationError(cli, 'invalid IP address format');
  }
}

/** check_record_type_collisions for CNAME (RFC 1034 3.6.2, RFC 2136 1.1.5). */
function checkCollisions(records: Record<string, string[]>): void {
  const cname = records.cnamerecord ?? [];
  if (cname.length > 1) throw validationError('cnamerecord', 'only one CNAME record is allowed per name (RFC 2136, section 1.1.5)');
  if (cname.length && RECORD_ATTRS.some((a) => a !== 'cnamerecord' && a !== 'ptrrecord' && (records[a]?.length ?? 0) > 0)) {
    throw validationError('cnamerecord', 'CNAME record is not allowed to coexist with any other record (RFC 1034, section 3.6.2)');
  }
}

async function dnsrecordAdd(ctx: CommandContext, params: Params) {
  const { zone } = await requireZone(ctx, String(params.dnszoneidnsname));
  const name = recordName(String(params.idnsname), zone);
  const requested = requestedRecords(params, true);
  const reverse = EXTRAS.filter((x) => get.flag(params, x));
  const hasAttrOptions = (get.strs(params, 'setattr')?.length ?? 0) + (get.strs(params, 'addattr')?.length ?? 0) > 0;
  if (!Object.keys(requested).length && !hasAttrOptions) throw new OptionError(ADD_NO_OPTION);
  for (const [attr, values] of Object.entries(requested)) {
    const part = Object.entries(PARTS).find(([opt, x]) => x.attr === attr && get.given(params, opt));
    validateValues(attr, values, part ? part[1].cli : cliOf(attr));
  }
  // The *_extra_create_reverse pre-callback: a PTR already there is a duplicate.
  const wantsPtr = (attr: string) => (attr === 'arecord' && reverse.includes('a_extra_create_reverse')) || (attr === 'aaaarecord' && reverse.includes('aaaa_extra_create_reverse'));
  for (const attr of ['arecord', 'aaaarecord']) {
    if (!wantsPtr(attr)) continue;
    for (const ip of requested[attr] ?? []) {
      const rev = await reverseZoneFor(ctx, ip);
      if (rev && (await ctx.store.get(recordDn(ctx, rev.zone, rev.name)))) {
        throw new DuplicateEntryError(`Reverse record for IP address ${ip} already exists in reverse zone ${rev.zone}.`);
      }
    }
  }
  const dn = recordDn(ctx, zone, name);
  const existing = await ctx.store.get(dn);
  const planned: Record<string, string[] | null> = {};
  for (const [attr, values] of Object.entries(requested)) {
    const old = existing?.attrs[attr] ?? [];
    const merged = [...old];
    for (const v of values) if (!merged.some((x) => x.toLowerCase() === v.toLowerCase())) merged.push(v);
    planned[attr] = merged;
  }
  const ttl = get.int(params, 'dnsttl');
  if (ttl !== undefined) planned.dnsttl = [String(ttl)];
  applyAttrOptions(params, planned, existing);
  const after: Record<string, string[]> = { ...(existing?.attrs ?? {}) };
  for (const [k, v] of Object.entries(planned)) {
    if (v && v.length) after[k] = v;
    else delete after[k];
  }
  checkCollisions(after);
  if (!existing) {
    const attrs: Record<string, string[]> = { objectclass: ['top', 'idnsrecord'], idnsname: [name] };
    for (const [k, v] of Object.entries(planned)) if (v?.length) attrs[k] = v;
    await ctx.store.add({ dn, attrs });
  } else {
    const changes = Object.entries(planned)
      .filter(([attr, v]) => {
        const old = existing.attrs[attr] ?? [];
        return !(v && old.length === v.length && v.every((x) => old.includes(x))) && !(v === null && old.length === 0);
      })
      .map(([attr, v]) => ({ op: 'replace' as const, attr, values: v ?? [] }));
    if (!changes.length) throw emptyModlist();
    await ctx.store.modify(dn, changes);
  }
  // Post-callback: the PTRs, after the forward record exists (a failure here is not rolled back).
  for (const attr of ['arecord', 'aaaarecord']) {
    if (!wantsPtr(attr)) continue;
    const target = name === '@' ? zone : `${name}.${zone}`;
    for (const ip of requested[attr] ?? []) {
      const rev = await reverseZoneFor(ctx, ip);
      if (!rev) {
        throw extraErrors.nonFatal(`Cannot create reverse record for "${ip}": DNS reverse zone for IP address ${ip} not found`);
      }
      await addRecordValues(ctx, rev.zone, rev.name, 'ptrrecord', [target]);
    }
  }
  const entry = (await ctx.store.get(dn)) as IpaEntry;
  const result = await recordOutput(ctx, entry, name, params, { extra: ['objectclass', ...Object.keys(requested)] });
  return { result, value: new DnsName(String(params.idnsname)), summary: null };
}

export const dnsrecordAddCommand: CommandDef = {
  name: 'dnsrecord_add',
  write: true,
  args: [zoneArg, nameArg],
  options: [
    ...recordOptions,
    ...Object.keys(PARTS).map((n) => p.str(n, { cli: PARTS[n]?.cli })),
    ...EXTRAS.map((n) => p.flag(n)),
    p.int('dnsttl', { cli: 'ttl' }),
    p.str('dnsclass', { cli: 'class' }),
    p.flag('force'),
    p.strs('setattr'),
    p.strs('addattr'),
    ...recordOutputOptions,
  ],
  run: dnsrecordAdd,
};
