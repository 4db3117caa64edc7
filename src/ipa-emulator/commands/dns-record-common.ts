/**
 * What the dnsrecord_* commands share: their arguments and record options,
 * the record name relative to its zone, the values a request names (raw
 * lists or `<type>_part_*` options) and the record as output.
 */
import type { CommandContext } from '../command.js';
import { RECORD_ATTRS, RECORD_TYPES } from '../dns-data.js';
import { entryOutput, type ObjectDef } from '../objects.js';
import { get, p, validationError, type ParamSpec, type Params } from '../params.js';
import type { IpaEntry } from '../store.js';
import { DnsName } from '../wire.js';

export const RECORD: ObjectDef = { type: 'dnsrecord', label: 'DNS resource record', pkeyAttr: 'idnsname', defaultAttrs: ['idnsname', ...RECORD_ATTRS, 'dnsttl', 'dnsclass'], attributeMembers: {} };

/** Part options this emulator understands: `<type>_part_<part>` -> the record attribute. */
export const PARTS: Record<string, { attr: string; cli: string }> = {
  a_part_ip_address: { attr: 'arecord', cli: 'a_ip_address' },
  aaaa_part_ip_address: { attr: 'aaaarecord', cli: 'aaaa_ip_address' },
  ptr_part_hostname: { attr: 'ptrrecord', cli: 'ptr_hostname' },
  cname_part_hostname: { attr: 'cnamerecord', cli: 'cname_hostname' },
  txt_part_data: { attr: 'txtrecord', cli: 'txt_data' },
  ns_part_hostname: { attr: 'nsrecord', cli: 'ns_hostname' },
};

export const recordOptions: ParamSpec[] = RECORD_TYPES.map((t) => p.strs(`${t.toLowerCase()}record`, { cli: `${t.toLowerCase()}_rec` }));
export const zoneArg = p.str('dnszoneidnsname', { cli: 'dnszoneidnsname', required: true });
export const nameArg = p.str('idnsname', { cli: 'name', required: true });

export function cliOf(attr: string): string {
  return `${attr.replace(/record$/, '')}_rec`;
}

/** The record name relative to the zone, '@' for the apex; out-of-zone absolute names refused. */
export function recordName(raw: string, zone: string): string {
  const name = raw.toLowerCase();
  if (name === '@' || name === zone) return '@';
  if (name.endsWith('.')) {
    if (!name.endsWith(`.${zone}`)) throw validationError('name', `out-of-zone data: ${raw} is not a subdomain of ${zone}`);
    return name.slice(0, name.length - zone.length - 1);
  }
  return name;
}

/** The record values an add/del request names: raw lists, then part options. */
export function requestedRecords(params: Params, withParts: boolean): Record<string, string[]> {
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

export async function recordOutput(ctx: CommandContext, entry: IpaEntry, name: string, params: Params, opts: { extra?: string[]; withDn?: boolean } = {}) {
  const out = await entryOutput(ctx, RECORD, entry, { ...recordOutputOpts(params, opts.extra), withDn: opts.withDn ?? true });
  if (!get.flag(params, 'raw')) out.idnsname = [new DnsName(name)];
  return out;
}

export const recordOutputOptions = [p.flag('structured'), p.flag('all'), p.flag('raw')];
