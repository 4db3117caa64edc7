/**
 * dnsrecord_add/del/find/show, dnszone_show, dns_is_enabled
 * (ipaserver/plugins/dns.py): raw record lists or `<type>_part_*` options,
 * values merged into the name's entry (an identical existing value is
 * EmptyModlist), PTRs made by `a_extra_create_reverse`, deletion of absent
 * values refused (AttrValueNotFound), the entry removed with its last record.
 */
import { isIPv4, isIPv6 } from 'node:net';
import { AttrValueNotFoundError, DuplicateEntryError, NotFoundError, OptionError } from '../../freeipa/errors.js';
import { applyAttrOptions, emptyModlist } from '../attr-options.js';
import { defineCommands, type CommandContext } from '../command.js';
import {
  addRecordValues,
  dnsConfigured,
  getZoneEntry,
  hasRecords,
  RECORD_ATTRS,
  RECORD_TYPES,
  recordDn,
  recordLabel,
  reverseZoneFor,
} from '../dns-data.js';
import { absoluteZone, dnOf } from '../layout.js';
import { deleteEntry, entryOutput, notFound, pkeyList, type ObjectDef } from '../objects.js';
import { get, p, validationError, type ParamSpec, type Params } from '../params.js';
import { f, type Filter, type IpaEntry } from '../store.js';
import { DnsName, extraErrors, hasCapability, messages } from '../wire.js';

const ZONE: ObjectDef = { type: 'dnszone', label: 'DNS zone', pkeyAttr: 'idnsname', defaultAttrs: [], attributeMembers: {} };
const RECORD: ObjectDef = { type: 'dnsrecord', label: 'DNS resource record', pkeyAttr: 'idnsname', defaultAttrs: ['idnsname', ...RECORD_ATTRS, 'dnsttl', 'dnsclass'], attributeMembers: {} };

const ADD_NO_OPTION = 'No options to add a specific record provided.\nCommand help may be consulted for all supported record types.';
const DEL_NO_OPTION = 'Neither --del-all nor options to delete a specific record provided.\nCommand help may be consulted for all supported record types.';

/** Part options this emulator understands: `<type>_part_<part>` -> the record attribute. */
const PARTS: Record<string, { attr: string; cli: string }> = {
  a_part_ip_address: { attr: 'arecord', cli: 'a_ip_address' },
  aaaa_part_ip_address: { attr: 'aaaarecord', cli: 'aaaa_ip_address' },
  ptr_part_hostname: { attr: 'ptrrecord', cli: 'ptr_hostname' },
  cname_part_hostname: { attr: 'cnamerecord', cli: 'cname_hostname' },
  txt_part_data: { attr: 'txtrecord', cli: 'txt_data' },
  ns_part_hostname: { attr: 'nsrecord', cli: 'ns_hostname' },
};
const EXTRAS = ['a_extra_create_reverse', 'aaaa_extra_create_reverse'];

const recordOptions: ParamSpec[] = RECORD_TYPES.map((t) => p.strs(`${t.toLowerCase()}record`, { cli: `${t.toLowerCase()}_rec` }));
const zoneArg = p.str('dnszoneidnsname', { cli: 'dnszoneidnsname', required: true });
const nameArg = p.str('idnsname', { cli: 'name', required: true });

function cliOf(attr: string): string {
  return `${attr.replace(/record$/, '')}_rec`;
}

async function requireZone(ctx: CommandContext, zoneRaw: string): Promise<{ zone: string; entry: IpaEntry }> {
  if (!(await dnsConfigured(ctx))) throw new NotFoundError('DNS is not configured', { reason: 'DNS is not configured' });
  const zone = absoluteZone(zoneRaw);
  const entry = await getZoneEntry(ctx, zone);
  if (!entry) throw notFound(ZONE, zone);
  return { zone, entry };
}

/** The record name relative to the zone, '@' for the apex; out-of-zone absolute names refused. */
function recordName(raw: string, zone: string): string {
  const name = raw.toLowerCase();
  if (name === '@' || name === zone) return '@';
  if (name.endsWith('.')) {
    if (!name.endsWith(`.${zone}`)) throw validationError('name', `out-of-zone data: ${raw} is not a subdomain of ${zone}`);
    return name.slice(0, name.length - zone.length - 1);
  }
  return name;
}

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

/** The record values an add/del request names: raw lists, then part options. */
function requestedRecords(params: Params, withParts: boolean): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const attr of RECORD_ATTRS) {
    const vs = get.strs(params, attr);
    if (vs) out[attr] = [...vs];
  }
  if (withParts) {
    for (const [option, { attr, cli }] of Object.entries(PARTS)) {
      const v = get.str(params, option);
      if (v === undefined) continue;
      if (out[attr]) throw validationError(cli, `Raw value of a DNS record was already set by "${cliOf(attr)}" option`);
      out[attr] = [v];
    }
  }
  return out;
}

function recordOutputOpts(params: Params, extra: string[] = []) {
  return { all: get.flag(params, 'all'), raw: get.flag(params, 'raw'), extraAttrs: extra };
}

async function recordOutput(ctx: CommandContext, entry: IpaEntry, name: string, params: Params, opts: { extra?: string[]; withDn?: boolean } = {}) {
  const out = await entryOutput(ctx, RECORD, entry, { ...recordOutputOpts(params, opts.extra), withDn: opts.withDn ?? true });
  if (!get.flag(params, 'raw')) out.idnsname = [new DnsName(name)];
  return out;
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

async function dnszoneShow(ctx: CommandContext, params: Params) {
  const { zone, entry } = await requireZone(ctx, String(params.idnsname));
  const out = await entryOutput(ctx, { ...ZONE, defaultAttrs: Object.keys(entry.attrs).filter((a) => a !== 'objectclass') }, entry, {
    all: get.flag(params, 'all'),
    raw: get.flag(params, 'raw'),
  });
  return { result: out, value: new DnsName(zone), summary: null };
}

async function dnsIsEnabled(ctx: CommandContext) {
  return { result: await dnsConfigured(ctx), value: null, summary: null };
}

const recordOutputOptions = [p.flag('structured'), p.flag('all'), p.flag('raw')];

export const dnsCommands = defineCommands(
  {
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
  },
  {
    name: 'dnsrecord_del',
    write: true,
    args: [zoneArg, nameArg],
    options: [...recordOptions, p.int('dnsttl', { cli: 'ttl' }), p.str('dnsclass', { cli: 'class' }), p.flag('del_all'), p.flag('structured'), p.flag('raw')],
    run: dnsrecordDel,
  },
  { name: 'dnsrecord_show', write: false, args: [zoneArg, nameArg], options: [...recordOutputOptions, p.flag('rights')], run: dnsrecordShow },
  {
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
  },
  { name: 'dnszone_show', write: false, args: [p.str('idnsname', { cli: 'name', required: true })], options: [p.flag('all'), p.flag('raw'), p.flag('rights')], run: dnszoneShow },
  { name: 'dns_is_enabled', write: false, args: [], options: [], run: dnsIsEnabled },
);
