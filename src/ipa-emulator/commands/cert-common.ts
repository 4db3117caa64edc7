/**
 * What cert_show and cert_find share: the one CA name this server has, the
 * owners of a certificate as `owner_host` / `owner_service`, and the
 * entries that hold certificates.
 */
import { NotFoundError } from '../../freeipa/errors.js';
import { IPA_CA_CN } from '../ca/authority.js';
import type { CommandContext } from '../command.js';
import { firstRdnValue } from '../dn.js';
import { containers, objectTypeOfDn } from '../layout.js';
import { get, type Params } from '../params.js';
import { f, type Filter } from '../store.js';

export function checkCacn(params: Params): void {
  const cacn = get.str(params, 'cacn') ?? IPA_CA_CN;
  if (cacn !== IPA_CA_CN) throw new NotFoundError(`${cacn}: Certificate Authority not found`, { reason: `${cacn}: Certificate Authority not found` });
}

/** _fill_owners: the hosts and services whose entries hold the certificate. */
export function owners(ctx: CommandContext, dns: readonly string[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const dn of dns) {
    const type = objectTypeOfDn(ctx.env, dn);
    if (type !== 'host' && type !== 'service') continue;
    (out[`owner_${type}`] ??= []).push(firstRdnValue(dn));
  }
  return out;
}

/** Entries holding certificates, optionally only those of some hosts or services (cert_find's LDAP sub-search). */
export async function certificateHolders(ctx: CommandContext, filter: Filter | null) {
  const { entries } = await ctx.store.search(containers(ctx.env).accounts, {
    scope: 'sub',
    filter: filter ? f.and(filter, f.present('usercertificate')) : f.present('usercertificate'),
  });
  return entries;
}
