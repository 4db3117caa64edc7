/**
 * host_mod (ipaserver/plugins/host.py, FreeIPA 4.9): the refusal to set a
 * password on an enrolled host, a principal name set once, the object
 * classes the new attributes need.
 */
import { ACIError } from '../../freeipa/errors.js';
import { applyAttrOptions, attrOptionNames, emptyModlist, modlist } from '../attr-options.js';
import { recordStoredCertificates, withCertificateAttrs } from '../ca/owners.js';
import type { CommandContext, CommandDef } from '../command.js';
import { entryOutput, OBJECTS, passwordFlags } from '../objects.js';
import { get, p, updateOptions, validationError, type Params } from '../params.js';
import { first, has, type IpaEntry } from '../store.js';
import { requireHost } from './host-entry.js';
import { hostKey } from './host-name.js';
import { fqdnArg, hostParams, plannedAttrs, randomPasswordIf } from './host-options.js';
import { kerberosFlags, ticketFlags } from './host-ticket-flags.js';

const HOST = OBJECTS.host;

const NON_MODIFYING = new Set(['fqdn', 'all', 'raw', 'no_members', 'rights', 'version']);

async function hostMod(ctx: CommandContext, params: Params) {
  const key = hostKey(params.fqdn);
  if (!Object.keys(params).some((k) => !NON_MODIFYING.has(k) && params[k] !== undefined && !(params[k] === false && (k === 'random' || k === 'updatedns')))) {
    throw emptyModlist();
  }
  const entry = await requireHost(ctx, key);
  const setsPassword =
    (get.given(params, 'userpassword') && params.userpassword !== null) ||
    get.flag(params, 'random') ||
    // FreeIPA 4.13.3 also catches the password sent through setattr; refusing it here too keeps clients honest.
    (get.strs(params, 'setattr') ?? []).some((s) => /^\s*userpassword\s*=/i.test(s));
  // FreeIPA's framework check, not an ACI: made with the presence flags every caller may compute.
  const pwFlags = setsPassword ? await passwordFlags(ctx, 'host', entry) : {};
  if (setsPassword && !pwFlags.has_password && (await passwordFlags(ctx, 'service', entry)).has_keytab) {
    throw validationError('password', 'Password cannot be set on enrolled host.');
  }
  const planned = plannedAttrs(params);
  const given = Object.keys(planned);
  const objectclass = [...(entry.attrs.objectclass ?? [])];
  const lower = () => objectclass.map((o) => o.toLowerCase());
  const principals = get.strs(params, 'krbprincipalname');
  if (principals) {
    if (has(entry, 'krbprincipalname')) throw new ACIError('Insufficient access: Principal name already set, it is unchangeable.', { info: 'Principal name already set, it is unchangeable.' });
    planned.krbprincipalname = principals.map((x) => (x.includes('@') ? x : `${x}@${ctx.env.realm}`));
    if (!lower().includes('krbprincipalaux')) objectclass.push('krbprincipalaux');
  }
  const otp = randomPasswordIf(ctx, params);
  if (otp !== undefined) planned.userpassword = [otp];
  if (planned.macaddress && !lower().includes('ieee802device')) objectclass.push('ieee802device');
  if (planned.ipasshpubkey && !lower().includes('ipasshhost')) objectclass.push('ipasshhost');
  const flags = ticketFlags(params, first(entry, 'krbticketflags'));
  if (flags !== undefined) {
    planned.krbticketflags = [flags];
    if (!lower().includes('krbticketpolicyaux')) objectclass.push('krbticketpolicyaux');
  }
  if (objectclass.length !== (entry.attrs.objectclass ?? []).length) planned.objectclass = objectclass;
  applyAttrOptions(params, planned, entry);
  if ('cn' in planned) throw new ACIError('Insufficient access: cn is immutable', { info: 'cn is immutable' });
  await ctx.store.modify(entry.dn, modlist(entry, planned));
  const updated = (await ctx.store.get(entry.dn)) as IpaEntry;
  recordStoredCertificates(ctx, updated);
  const all = get.flag(params, 'all');
  const result = await entryOutput(ctx, HOST, updated, {
    all,
    raw: get.flag(params, 'raw'),
    noMembers: get.flag(params, 'no_members'),
    extraAttrs: [...given, ...attrOptionNames(params)],
    withDn: all,
  });
  if (otp !== undefined) result.randompassword = otp;
  withCertificateAttrs(ctx, result, key, get.flag(params, 'raw'));
  Object.assign(result, kerberosFlags(updated, params), await passwordFlags(ctx, 'host', updated));
  return { result, value: key, summary: `Modified host "${key}"` };
}

export const hostModCommand: CommandDef = {
  name: 'host_mod',
  write: true,
  args: [fqdnArg],
  options: [...hostParams, p.strs('krbprincipalname', { cli: 'principal' }), p.flag('updatedns'), ...updateOptions(true)],
  run: hostMod,
};
