/**
 * DNS data as FreeIPA keeps it under cn=dns (bind-dyndb-ldap's schema):
 * zones, record entries, forward and reverse names. Shared by the dnsrecord
 * commands and by host_add/host_del/service_add, which in FreeIPA resolve
 * names through the DNS server that serves exactly this data.
 */
import { isIPv4, isIPv6 } from 'node:net';
import type { CommandContext } from './command.js';
import { absoluteZone, containers, dnOf } from './layout.js';
import { f, type IpaEntry } from './store.js';

/** Record types FreeIPA's dnsrecord object knows (ipalib/dns.py _record_types). */
export const RECORD_TYPES = [
  'A', 'AAAA', 'A6', 'AFSDB', 'APL', 'CERT', 'CNAME', 'DHCID', 'DLV', 'DNAME', 'DS', 'HIP', 'IPSECKEY', 'KEY',
  'KX', 'LOC', 'MX', 'NAPTR', 'NS', 'NSEC', 'PTR', 'RRSIG', 'RP', 'SIG', 'SPF', 'SRV', 'SSHFP', 'TLSA', 'TXT', 'URI',
] as const;

export const RECORD_ATTRS: readonly string[] = RECORD_TYPES.map((t) => `${t.toLowerCase()}record`);

/** The label FreeIPA uses for a record attribute in messages ('A record'). */
export function recordLabel(attr: string): string {
  return `${attr.replace(/record$/, '').toUpperCase()} record`;
}

/** dns_is_enabled asks cn=masters, which every authenticated bind reads: not a right of the caller's. */
export async function dnsConfigured(ctx: CommandContext): Promise<boolean> {
  return (await ctx.system.get(containers(ctx.env).dns)) !== null;
}

export async function listZones(ctx: CommandContext): Promise<string[]> {
  if (!(await dnsConfigured(ctx))) return [];
  const { entries } = await ctx.store.search(containers(ctx.env).dns, { scope: 'one', filter: f.eq('objectclass', 'idnszone') });
  return entries.map((e) => absoluteZone(e.attrs.idnsname?.[0] ?? ''));
}

/** The most specific zone containing `name` (absolute), or null. */
export function zoneOf(zones: readonly string[], name: string): string | null {
  const n = absoluteZone(name);
  let best: string | null = null;
  for (const z of zones) {
    if ((n === z || n.endsWith(`.${z}`)) && (!best || z.length > best.length)) best = z;
  }
  return best;
}

/** `name` relative to `zone` ('@' for the apex); both absolute. */
export function relativeName(name: string, zone: string): string {
  const n = absoluteZone(name);
  if (n === zone) return '@';
  return n.slice(0, n.length - zone.length - 1);
}

export async function getZoneEntry(ctx: CommandContext, zone: string): Promise<IpaEntry | null> {
  return ctx.store.get(dnOf.zone(ctx.env, absoluteZone(zone)));
}

/** The record entry of a relative name ('@' is the zone entry itself). */
export function recordDn(ctx: CommandContext, zone: string, name: string): string {
  return name === '@' ? dnOf.zone(ctx.env, zone) : dnOf.record(ctx.env, zone, name);
}

/**
 * util.verify_host_resolvable: FreeIPA asks DNS for A/AAAA; with IPA DNS
 * that answer comes from these entries, so look there.
 */
export async function hostResolvable(ctx: CommandContext, fqdn: string): Promise<boolean> {
  const zones = await listZones(ctx);
  const zone = zoneOf(zones, fqdn);
  if (!zone) return false;
  let name = relativeName(fqdn, zone);
  // Follow a CNAME chain a few steps, as a resolver would.
  for (let hop = 0; hop < 5; hop++) {
    const entry = await ctx.store.get(recordDn(ctx, zone, name));
    if (!entry) return false;
    if (entry.attrs.arecord?.length || entry.attrs.aaaarecord?.length) return true;
    const target = entry.attrs.cnamerecord?.[0];
    if (!target) return false;
    const abs = target.endsWith('.') ? target : `${target}.${zone}`;
    const nextZone = zoneOf(zones, abs);
    if (!nextZone || nextZone !== zone) return false;
    name = relativeName(abs, zone);
  }
  return false;
}

function expandIPv6(ip: string): string[] {
  const [head = '', tail = ''] = ip.split('::');
  const h = head ? head.split(':') : [];
  const t = ip.includes('::') ? (tail ? tail.split(':') : []) : [];
  const groups = ip.includes('::') ? [...h, ...Array(8 - h.length - t.length).fill('0'), ...t] : h;
  return groups.map((g) => g.padStart(4, '0').toLowerCase());
}

/** The reverse name of an address, absolute ('4.3.2.1.in-addr.arpa.'). */
export function reverseName(ip: string): string {
  if (isIPv4(ip)) return `${ip.split('.').reverse().join('.')}.in-addr.arpa.`;
  const nibbles = expandIPv6(ip).join('').split('').reverse();
  return `${nibbles.join('.')}.ip6.arpa.`;
}

export function isIpAddress(value: string): boolean {
  return isIPv4(value) || isIPv6(value);
}

/** dns.get_reverse_zone: the reverse zone holding `ip` and the relative name in it, or null. */
export async function reverseZoneFor(ctx: CommandContext, ip: string): Promise<{ zone: string; name: string } | null> {
  const rev = reverseName(ip);
  const zone = zoneOf(await listZones(ctx), rev);
  if (!zone) return null;
  return { zone, name: relativeName(rev, zone) };
}

/** Merges values into a record entry, creating it if needed; false when nothing changed. */
export async function addRecordValues(ctx: CommandContext, zone: string, name: string, attr: string, values: readonly string[]): Promise<boolean> {
  const dn = recordDn(ctx, zone, name);
  const entry = await ctx.store.get(dn);
  if (!entry) {
    await ctx.store.add({ dn, attrs: { objectclass: ['top', 'idnsrecord'], idnsname: [name], [attr]: [...new Set(values)] } });
    return true;
  }
  const existing = entry.attrs[attr] ?? [];
  const fresh = values.filter((v, i) => !existing.some((x) => x.toLowerCase() === v.toLowerCase()) && values.indexOf(v) === i);
  if (!fresh.length) return false;
  await ctx.store.modify(dn, [{ op: 'add', attr, values: fresh }]);
  return true;
}

/** Whether an entry still holds any DNS record. */
export function hasRecords(entry: IpaEntry): boolean {
  return RECORD_ATTRS.some((a) => (entry.attrs[a]?.length ?? 0) > 0);
}
