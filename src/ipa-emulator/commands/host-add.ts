/**
 * host_add (ipaserver/plugins/host.py, FreeIPA 4.9): the OTP that keeps
 * krbPrincipalName off the entry, the DNS check without `force`, the A/AAAA
 * and PTR records of `ip_address`.
 */
import { randomUUID } from 'node:crypto';
import { DNSNotARecordError, DuplicateEntryError } from '../../freeipa/errors.js';
import { applyAttrOptions, attrOptionNames } from '../attr-options.js';
import { recordStoredCertificates, withCertificateAttrs } from '../ca/owners.js';
import type { CommandContext, CommandDef } from '../command.js';
import { dnsConfigured, hostResolvable, isIpAddress } from '../dns-data.js';
import { dnOf } from '../layout.js';
import { entryOutput, OBJECTS, passwordFlags } from '../objects.js';
import { createOptions, get, p, validationError, type Params } from '../params.js';
import type { IpaEntry } from '../store.js';
import { messages } from '../wire.js';
import { addHostRecords, validateHostRecords } from './host-dns-records.js';
import { HOST_OBJECTCLASSES } from './host-entry.js';
import { hostKey } from './host-name.js';
import { fqdnArg, hostParams, plannedAttrs, randomPasswordIf } from './host-options.js';
import { kerberosFlags, ticketFlags } from './host-ticket-flags.js';

const HOST = OBJECTS.host;

async function hostAdd(ctx: CommandContext, params: Params) {
  const fqdn = hostKey(params.fqdn, true);
  if (fqdn.length > ctx.env.maxHostnameLength) throw validationError('hostname', `can be at most ${ctx.env.maxHostnameLength} characters`);
  const ip = get.str(params, 'ip_address');
  if (ip !== undefined && !isIpAddress(ip)) throw validationError('ip_address', 'invalid IP address format');
  const dns = await dnsConfigured(ctx);
  if (ip && dns) await validateHostRecords(ctx, fqdn, ip, !get.flag(params, 'no_reverse'));
  if (!get.flag(params, 'force') && ip === undefined && !(await hostResolvable(ctx, fqdn))) {
    throw new DNSNotARecordError(`Host '${fqdn}' does not have corresponding DNS A/AAAA record`, { hostname: fqdn });
  }
  const planned = plannedAttrs(params);
  const given = Object.keys(planned);
  applyAttrOptions(params, planned, null);
  const otp = randomPasswordIf(ctx, params) ?? (planned.userpassword?.[0] || undefined);
  const dn = dnOf.host(ctx.env, fqdn);
  const objectclass = [...HOST_OBJECTCLASSES];
  const attrs: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(planned)) if (v && v.length) attrs[k] = v;
  attrs.fqdn = [fqdn];
  attrs.cn = [fqdn];
  attrs.serverhostname = [fqdn.split('.')[0] as string];
  attrs.ipauniqueid = [randomUUID()];
  attrs.managedby = [dn];
  if (otp === undefined) {
    // Without an OTP the principal exists from the start; with one, enrollment adds it.
    const principal = `host/${fqdn}@${ctx.env.realm}`;
    attrs.krbprincipalname = [principal];
    attrs.krbcanonicalname = [principal];
    objectclass.push('krbprincipalaux', 'krbprincipal');
    delete attrs.userpassword;
  } else {
    attrs.userpassword = [otp];
  }
  objectclass.push('ieee802device', 'ipasshhost');
  const flags = ticketFlags(params, undefined);
  if (flags !== undefined) {
    attrs.krbticketflags = [flags];
    objectclass.push('krbticketpolicyaux');
  }
  attrs.objectclass = ['top', ...new Set([...(attrs.objectclass ?? []), ...objectclass])];
  try {
    await ctx.store.add({ dn, attrs });
  } catch (err) {
    if (err instanceof DuplicateEntryError) throw new DuplicateEntryError(`host with name "${fqdn}" already exists`);
    throw err;
  }
  if (dns && ip) {
    try {
      await addHostRecords(ctx, fqdn, ip, !get.flag(params, 'no_reverse'));
    } catch (err) {
      ctx.addMessage(messages.failedToAddHostDnsRecords(err instanceof Error ? err.message : String(err)));
    }
  }
  const entry = (await ctx.store.get(dn)) as IpaEntry;
  recordStoredCertificates(ctx, entry);
  const result = await entryOutput(ctx, HOST, entry, {
    all: get.flag(params, 'all'),
    raw: get.flag(params, 'raw'),
    noMembers: get.flag(params, 'no_members'),
    extraAttrs: [...given, ...attrOptionNames(params), 'fqdn', 'objectclass', 'ipauniqueid'],
  });
  if (get.flag(params, 'random') && otp !== undefined) result.randompassword = otp;
  withCertificateAttrs(ctx, result, fqdn, get.flag(params, 'raw'));
  Object.assign(result, kerberosFlags(entry, params), await passwordFlags(ctx, 'host', entry));
  return { result, value: fqdn, summary: `Added host "${fqdn}"` };
}

export const hostAddCommand: CommandDef = {
  name: 'host_add',
  write: true,
  args: [fqdnArg],
  options: [...hostParams, p.flag('force'), p.flag('no_reverse'), p.str('ip_address'), ...createOptions(true)],
  run: hostAdd,
};
