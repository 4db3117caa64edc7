/**
 * The DNS records of a host: checked and added by host_add --ip-address,
 * removed by host_del --updatedns (A, AAAA, SSHFP and the PTRs of its
 * addresses).
 */
import { DuplicateEntryError, NotFoundError } from '../../freeipa/errors.js';
import type { CommandContext } from '../command.js';
import { addRecordValues, getZoneEntry, hasRecords, listZones, recordDn, relativeName, reverseZoneFor, zoneOf } from '../dns-data.js';
import { absoluteZone, dnOf } from '../layout.js';
import { deleteEntry } from '../objects.js';
import { f } from '../store.js';
import { messages } from '../wire.js';

/** add_records_for_host_validation (dns.py), for host_add --ip-address. */
export async function validateHostRecords(ctx: CommandContext, fqdn: string, ip: string, checkReverse: boolean): Promise<void> {
  const domain = absoluteZone(fqdn.split('.').slice(1).join('.'));
  if (!(await getZoneEntry(ctx, domain))) {
    const reason = `DNS zone ${domain} not found`;
    throw new NotFoundError(reason, { reason });
  }
  const { entries } = await ctx.store.search(dnOf.zone(ctx.env, domain), { scope: 'sub', filter: f.eq('arecord', ip) });
  const { entries: six } = await ctx.store.search(dnOf.zone(ctx.env, domain), { scope: 'sub', filter: f.eq('aaaarecord', ip) });
  if (entries.length || six.length) throw new DuplicateEntryError(`IP address ${ip} is already assigned in domain ${domain}.`);
  if (checkReverse) {
    const rev = await reverseZoneFor(ctx, ip);
    if (rev && (await ctx.store.get(recordDn(ctx, rev.zone, rev.name)))) {
      throw new DuplicateEntryError(`Reverse record for IP address ${ip} already exists in reverse zone ${rev.zone}.`);
    }
  }
}

export async function addHostRecords(ctx: CommandContext, fqdn: string, ip: string, addReverse: boolean): Promise<void> {
  const domain = absoluteZone(fqdn.split('.').slice(1).join('.'));
  const name = fqdn.split('.')[0] as string;
  await addRecordValues(ctx, domain, name, ip.includes(':') ? 'aaaarecord' : 'arecord', [ip]);
  if (addReverse) {
    const rev = await reverseZoneFor(ctx, ip);
    if (rev) await addRecordValues(ctx, rev.zone, rev.name, 'ptrrecord', [`${fqdn}.`]);
  }
}

/** remove_ptr_rec: true when a PTR pointing at the host was removed. */
async function removePtr(ctx: CommandContext, ip: string, fqdnAbs: string): Promise<boolean> {
  const rev = await reverseZoneFor(ctx, ip);
  if (!rev) return false;
  const dn = recordDn(ctx, rev.zone, rev.name);
  const entry = await ctx.store.get(dn);
  if (!entry || !(entry.attrs.ptrrecord ?? []).some((v) => v.toLowerCase() === fqdnAbs)) return false;
  const rest = (entry.attrs.ptrrecord ?? []).filter((v) => v.toLowerCase() !== fqdnAbs);
  await ctx.store.modify(dn, [{ op: 'replace', attr: 'ptrrecord', values: rest }]);
  const after = await ctx.store.get(dn);
  if (after && !hasRecords(after) && rev.name !== '@') await deleteEntry(ctx, dn);
  return true;
}

/** host_del --updatedns: A, AAAA, SSHFP of the host's name and the PTRs of its addresses. */
export async function removeHostRecords(ctx: CommandContext, fqdn: string): Promise<void> {
  let removed = false;
  const zone = zoneOf(await listZones(ctx), fqdn);
  if (zone) {
    const name = relativeName(fqdn, zone);
    const dn = recordDn(ctx, zone, name);
    const record = await ctx.store.get(dn);
    if (record) {
      for (const ip of [...(record.attrs.arecord ?? []), ...(record.attrs.aaaarecord ?? [])]) {
        removed = (await removePtr(ctx, ip, `${fqdn}.`)) || removed;
      }
      const changes = ['arecord', 'aaaarecord', 'sshfprecord']
        .filter((a) => record.attrs[a]?.length)
        .map((attr) => ({ op: 'replace' as const, attr, values: [] }));
      if (changes.length) {
        await ctx.store.modify(dn, changes);
        removed = true;
        const after = await ctx.store.get(dn);
        if (after && !hasRecords(after) && name !== '@') await deleteEntry(ctx, dn);
      }
    }
  }
  if (!removed) ctx.addMessage(messages.failedToRemoveHostDnsRecords(fqdn, 'No A, AAAA, SSHFP or PTR records found.'));
}
