/**
 * host_add, host_mod, host_del, host_show, host_find, host_disable with the
 * semantics of ipaserver/plugins/host.py (FreeIPA 4.9): the OTP that keeps
 * krbPrincipalName off the entry, the refusal to set a password on an
 * enrolled host, the DNS check without `force`, services deleted with their
 * host, `updatedns`, find without NotFound and with a size limit.
 */
import { randomUUID } from 'node:crypto';
import {
  ACIError,
  AlreadyInactiveError,
  DNSNotARecordError,
  DuplicateEntryError,
  FreeIpaError,
  NotFoundError,
} from '../../freeipa/errors.js';
import { applyAttrOptions, attrOptionNames, emptyModlist, modlist } from '../attr-options.js';
import { disableOwnerCertificates, recordStoredCertificates, revokeOwnerCertificates, withCertificateAttrs } from '../ca/owners.js';
import { defineCommands, type CommandContext } from '../command.js';
import { rdn } from '../dn.js';
import {
  addRecordValues,
  dnsConfigured,
  getZoneEntry,
  hasRecords,
  hostResolvable,
  isIpAddress,
  listZones,
  recordDn,
  relativeName,
  reverseZoneFor,
  zoneOf,
} from '../dns-data.js';
import { absoluteZone, containers, dnOf } from '../layout.js';
import { deleteEntry, entryOutput, findHost, notFound, OBJECTS, passwordFlags, pkeyList } from '../objects.js';
import { createOptions, get, p, retrieveOptions, searchOptions, updateOptions, validationError, type Params } from '../params.js';
import { f, first, has, type Filter, type IpaEntry } from '../store.js';
import { hasCapability, messages } from '../wire.js';
import { serviceHostname } from './principal.js';

const HOST = OBJECTS.host;
const HOST_OBJECTCLASSES = ['ipaobject', 'nshost', 'ipahost', 'pkiuser', 'ipaservice'];
const TICKET_FLAGS: Record<string, number> = {
  ipakrbrequirespreauth: 0x00000080,
  ipakrbokasdelegate: 0x00100000,
  ipakrboktoauthasdelegate: 0x00200000,
};
const DEFAULT_TICKET_FLAGS = 0x00000080;

/** Plain attribute options shared by host_add and host_mod (name = LDAP attribute). */
const ATTR_OPTIONS = ['description', 'l', 'nshostlocation', 'nshardwareplatform', 'nsosversion'];
const MULTI_ATTR_OPTIONS = ['usercertificate', 'macaddress', 'ipasshpubkey', 'userclass', 'krbprincipalauthind'];
const AUTH_INDICATORS = ['radius', 'otp', 'pkinit', 'hardened', 'idp', 'passkey'];

const hostParams = [
  ...ATTR_OPTIONS.map((n) => p.str(n)),
  p.str('userpassword', { cli: 'password' }),
  p.flag('random'),
  p.certs('usercertificate', { cli: 'certificate' }),
  p.strs('macaddress'),
  p.strs('ipasshpubkey', { cli: 'sshpubkey' }),
  p.strs('userclass', { cli: 'class' }),
  p.strs('krbprincipalauthind', { cli: 'auth_ind', values: AUTH_INDICATORS }),
  p.bool('ipakrbrequirespreauth', { cli: 'requires_pre_auth' }),
  p.bool('ipakrbokasdelegate', { cli: 'ok_as_delegate' }),
  p.bool('ipakrboktoauthasdelegate', { cli: 'ok_to_auth_as_delegate' }),
];

const fqdnArg = p.str('fqdn', { cli: 'hostname', required: true });

/** normalize_hostname: lower case, no trailing dot. */
export function normalizeHostname(value: string): string {
  return value.toLowerCase().replace(/\.$/, '');
}

const LABEL = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/i;

/** hostname_validator (ipalib/util.py validate_hostname with check_fqdn). */
export function hostnameError(name: string): string | null {
  if (name.length > 255) return 'cannot be longer that 255 characters';
  const h = name.replace(/\.$/, '');
  if (h.includes('..')) return 'hostname contains empty label (consecutive dots)';
  if (!h.includes('.')) return 'not fully qualified';
  for (const label of h.split('.')) {
    if (label.length > 63) return 'DNS label cannot be longer than 63 characters';
    if (!LABEL.test(label)) return "only letters, numbers, '-' are allowed. DNS label may not start or end with '-'";
  }
  return null;
}

/**
 * The fqdn argument, normalized; validated (hostname_validator) only where it
 * creates an entry: the other commands clone the key with query=True, and
 * ipalib skips every rule of a query param.
 */
export function hostKey(raw: unknown, validate = false): string {
  const key = normalizeHostname(String(raw));
  const error = validate ? hostnameError(key) : null;
  if (error) throw validationError('hostname', `invalid domain-name: ${error}`);
  return key;
}

const MAC = /^([a-fA-F0-9]{2}[:|-]?){5}[a-fA-F0-9]{2}$/;

/** Attribute values the options ask for (null = delete), validated like the params. */
function plannedAttrs(params: Params): Record<string, string[] | null> {
  const planned: Record<string, string[] | null> = {};
  for (const name of ATTR_OPTIONS) {
    if (get.given(params, name)) planned[name] = params[name] === null ? null : [get.str(params, name) as string];
  }
  for (const name of MULTI_ATTR_OPTIONS) {
    if (!get.given(params, name)) continue;
    let values = get.strs(params, name) ?? null;
    if (values && name === 'macaddress') {
      for (const v of values) {
        if (!MAC.test(v)) throw validationError('macaddress', 'Must be of the form HH:HH:HH:HH:HH:HH, where each H is a hexadecimal character.');
      }
      values = values.map((v) => v.toUpperCase());
    }
    planned[name] = values;
  }
  if (get.given(params, 'userpassword')) planned.userpassword = params.userpassword === null ? null : [get.str(params, 'userpassword') as string];
  return planned;
}

/** update_krbticketflags: the new flags value, or undefined when no flag option was given. */
function ticketFlags(params: Params, current: string | undefined): string | undefined {
  let add = 0;
  let remove = 0;
  for (const [name, bit] of Object.entries(TICKET_FLAGS)) {
    if (!get.given(params, name) || params[name] === null) continue;
    if (params[name] === true) add |= bit;
    else remove |= bit;
  }
  if (!add && !remove) return undefined;
  const base = current !== undefined && /^\d+$/.test(current) ? Number(current) : DEFAULT_TICKET_FLAGS;
  return String((base | add) & ~remove);
}

/** set_kerberos_attrs: the ticket-flag booleans, for the options given or with `all`. */
function kerberosFlags(entry: IpaEntry, params: Params): Record<string, boolean> {
  const out: Record<string, boolean> = {};
  if (get.flag(params, 'raw')) return out;
  const raw = first(entry, 'krbticketflags');
  const flags = raw !== undefined && /^\d+$/.test(raw) ? Number(raw) : DEFAULT_TICKET_FLAGS;
  for (const [name, bit] of Object.entries(TICKET_FLAGS)) {
    if (get.given(params, name) || get.flag(params, 'all')) out[name] = (flags & bit) !== 0;
  }
  return out;
}

export async function isMaster(ctx: CommandContext, fqdn: string): Promise<boolean> {
  return (await ctx.store.get(`${rdn('cn', fqdn)},${containers(ctx.env).masters}`)) !== null;
}

/** baseldap.host_is_master */
async function refuseMaster(ctx: CommandContext, fqdn: string): Promise<void> {
  if (await isMaster(ctx, fqdn)) throw validationError('hostname', 'An IPA master host cannot be deleted or disabled');
}

export async function requireHost(ctx: CommandContext, key: string): Promise<IpaEntry> {
  const entry = await findHost(ctx, key);
  if (!entry) throw notFound(HOST, key);
  return entry;
}

/** Services whose principal's host part is `fqdn` (host_del/host_disable use service_find(fqdn) then filter). */
export async function servicesOfHost(ctx: CommandContext, fqdn: string): Promise<IpaEntry[]> {
  const { entries } = await ctx.store.search(containers(ctx.env).services, {
    scope: 'one',
    filter: f.and(f.eq('objectclass', 'ipaservice'), f.contains('krbprincipalname', fqdn)),
  });
  return entries.filter((e) => {
    const principal = first(e, 'krbcanonicalname') ?? first(e, 'krbprincipalname') ?? '';
    return serviceHostname(principal)?.toLowerCase() === fqdn;
  });
}

function principalOf(service: IpaEntry): string {
  return first(service, 'krbcanonicalname') ?? first(service, 'krbprincipalname') ?? '';
}

function randomPasswordIf(ctx: CommandContext, params: Params): string | undefined {
  return get.flag(params, 'random') ? ctx.randomPassword() : undefined;
}

/** add_records_for_host_validation (dns.py), for host_add --ip-address. */
async function validateHostRecords(ctx: CommandContext, fqdn: string, ip: string, checkReverse: boolean): Promise<void> {
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

async function addHostRecords(ctx: CommandContext, fqdn: string, ip: string, addReverse: boolean): Promise<void> {
  const domain = absoluteZone(fqdn.split('.').slice(1).join('.'));
  const name = fqdn.split('.')[0] as string;
  await addRecordValues(ctx, domain, name, ip.includes(':') ? 'aaaarecord' : 'arecord', [ip]);
  if (addReverse) {
    const rev = await reverseZoneFor(ctx, ip);
    if (rev) await addRecordValues(ctx, rev.zone, rev.name, 'ptrrecord', [`${fqdn}.`]);
  }
}

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
async function removeHostRecords(ctx: CommandContext, fqdn: string): Promise<void> {
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

async function hostDel(ctx: CommandContext, params: Params) {
  const keys = (get.strs(params, 'fqdn') ?? []).map((k) => hostKey(k));
  const deleted: string[] = [];
  const failed: string[] = [];
  for (const key of keys) {
    try {
      const entry = await requireHost(ctx, key);
      const fqdn = first(entry, 'fqdn') ?? key;
      await refuseMaster(ctx, fqdn);
      for (const service of await servicesOfHost(ctx, fqdn)) {
        // service_del of each: its certificates are revoked before it goes.
        await revokeOwnerCertificates(ctx, { service: principalOf(service) });
        await deleteEntry(ctx, service.dn);
      }
      if (get.flag(params, 'updatedns') && (await dnsConfigured(ctx))) await removeHostRecords(ctx, fqdn);
      await revokeOwnerCertificates(ctx, { host: fqdn });
      try {
        await deleteEntry(ctx, entry.dn);
      } catch (err) {
        if (err instanceof NotFoundError) throw notFound(HOST, key);
        throw err;
      }
      deleted.push(key);
    } catch (err) {
      if (!get.flag(params, 'continue') || !(err instanceof FreeIpaError)) throw err;
      failed.push(key);
    }
  }
  const capable = hasCapability(ctx.version, 'primary_key_types');
  return { result: { failed: pkeyList(failed, capable) }, value: pkeyList(deleted, capable), summary: `Deleted host "${deleted.join(',')}"` };
}

async function hostShow(ctx: CommandContext, params: Params) {
  const key = hostKey(params.fqdn);
  const entry = await requireHost(ctx, key);
  const result = await entryOutput(ctx, HOST, entry, {
    all: get.flag(params, 'all'),
    raw: get.flag(params, 'raw'),
    noMembers: get.flag(params, 'no_members'),
  });
  withCertificateAttrs(ctx, result, first(entry, 'fqdn') ?? key, get.flag(params, 'raw'));
  Object.assign(result, await passwordFlags(ctx, 'host', entry), kerberosFlags(entry, params));
  return { result, value: key, summary: null };
}

/** Names of the members of a group-like entry, as DNs (memberOf is computed, not stored, here). */
async function membersOf(ctx: CommandContext, dn: string): Promise<Set<string>> {
  const entry = await ctx.store.get(dn);
  return new Set((entry?.attrs.member ?? []).map((m) => m.toLowerCase()));
}

const FIND_ATTRS = ['fqdn', 'description', 'l', 'nshostlocation', 'nshardwareplatform', 'nsosversion'];
const FIND_MULTI = ['usercertificate', 'macaddress', 'userclass', 'krbprincipalauthind'];
const SEARCH_ATTRS = ['fqdn', 'description', 'l', 'nshostlocation', 'krbcanonicalname', 'krbprincipalname', 'nshardwareplatform', 'nsosversion', 'managedby'];
const MEMBER_OPTIONS = ['hostgroup', 'netgroup', 'role', 'hbacrule', 'sudorule'];

export function matchedSummary(count: number, noun: string, plural: string): string {
  return `${count} ${count === 1 ? noun : plural} matched`;
}

async function hostFind(ctx: CommandContext, params: Params) {
  const filters: Filter[] = HOST_OBJECTCLASSES.map((oc) => f.eq('objectclass', oc));
  const criteria = get.str(params, 'criteria');
  if (criteria) filters.push(f.or(...SEARCH_ATTRS.map((a) => f.contains(a, criteria))));
  const searched: string[] = [];
  for (const name of FIND_ATTRS) {
    const v = get.str(params, name);
    if (v === undefined) continue;
    searched.push(name);
    filters.push(f.eq(name, name === 'fqdn' ? normalizeHostname(v) : v));
  }
  for (const name of FIND_MULTI) {
    const vs = get.strs(params, name);
    if (!vs) continue;
    searched.push(name);
    for (const v of vs) filters.push(f.eq(name, v));
  }
  const hostDns = async (names: string[]) => Promise.all(names.map(async (n) => (await findHost(ctx, normalizeHostname(n)))?.dn ?? dnOf.host(ctx.env, normalizeHostname(n))));
  const manBy = get.strs(params, 'man_by_host');
  if (manBy) for (const dn of await hostDns(manBy)) filters.push(f.eq('managedby', dn));
  const notManBy = get.strs(params, 'not_man_by_host');
  if (notManBy) filters.push(f.not(f.or(...(await hostDns(notManBy)).map((dn) => f.eq('managedby', dn)))));
  const enrolledBy = get.strs(params, 'enroll_by_user');
  if (enrolledBy) for (const u of enrolledBy) filters.push(f.eq('enrolledby', dnOf.user(ctx.env, u)));
  const notEnrolledBy = get.strs(params, 'not_enroll_by_user');
  if (notEnrolledBy) filters.push(f.not(f.or(...notEnrolledBy.map((u) => f.eq('enrolledby', dnOf.user(ctx.env, u))))));
  for (const [option, negate] of [['man_host', false], ['not_man_host', true]] as const) {
    const names = get.strs(params, option);
    if (!names) continue;
    const sets: Set<string>[] = [];
    for (const n of names) {
      const host = await findHost(ctx, normalizeHostname(n));
      if (!host) throw notFound(HOST, n);
      sets.push(new Set((host.attrs.managedby ?? []).map((d) => d.toLowerCase())));
    }
    const managing = negate ? [...new Set(sets.flatMap((s) => [...s]))] : [...(sets[0] ?? new Set<string>())].filter((d) => sets.every((s) => s.has(d)));
    const byDn = f.or(...managing.map((d) => f.eq('fqdn', d.split(',')[0]?.split('=')[1] ?? '')));
    if (negate) {
      if (managing.length) filters.push(f.not(byDn));
    } else {
      filters.push(managing.length ? byDn : f.eq('objectclass', 'disabled'));
    }
  }
  // Group membership options: FreeIPA filters on memberOf; here membership is read from the groups.
  const memberChecks: Array<{ members: Set<string>; negate: boolean }> = [];
  for (const type of MEMBER_OPTIONS) {
    for (const negate of [false, true]) {
      const names = get.strs(params, `${negate ? 'not_in_' : 'in_'}${type}`);
      if (!names) continue;
      for (const n of names) {
        const dn = type === 'role' ? dnOf.role(ctx.env, n) : type === 'hostgroup' ? dnOf.hostgroup(ctx.env, n) : `${rdn('cn', n)},cn=${type},${ctx.env.suffix}`;
        memberChecks.push({ members: await membersOf(ctx, dn), negate });
      }
    }
  }
  const explicit = get.int(params, 'sizelimit');
  const limit = explicit ?? ctx.env.searchRecordsLimit;
  const search = await ctx.store.search(containers(ctx.env).hosts, {
    scope: 'one',
    filter: f.and(...filters),
    sizeLimit: memberChecks.length ? 0 : limit,
  });
  let entries = search.entries.filter((e) => memberChecks.every((c) => c.members.has(e.dn.toLowerCase()) !== c.negate));
  let truncated = search.truncated;
  if (memberChecks.length && limit && entries.length > limit) {
    entries = entries.slice(0, limit);
    truncated = true;
  }
  entries.sort((a, b) => (first(a, 'fqdn') ?? '').localeCompare(first(b, 'fqdn') ?? ''));
  const pkeyOnly = get.flag(params, 'pkey_only');
  const result = await Promise.all(
    entries.map(async (e) =>
      pkeyOnly
        ? { dn: e.dn, fqdn: e.attrs.fqdn ?? [] }
        : entryOutput(ctx, HOST, e, {
            all: get.flag(params, 'all'),
            raw: get.flag(params, 'raw'),
            noMembers: params.no_members !== false,
            extraAttrs: searched,
          }).then((out) => Object.assign(withCertificateAttrs(ctx, out, first(e, 'fqdn') ?? '', get.flag(params, 'raw')), kerberosFlags(e, params))),
    ),
  );
  if (truncated) ctx.addMessage(messages.searchResultTruncated('Configured size limit exceeded'));
  return { count: result.length, truncated, result, summary: matchedSummary(result.length, 'host', 'hosts') };
}

async function hostDisable(ctx: CommandContext, params: Params) {
  const key = hostKey(params.fqdn);
  const entry = await requireHost(ctx, key);
  const fqdn = first(entry, 'fqdn') ?? key;
  await refuseMaster(ctx, fqdn);
  let done = false;
  for (const service of await servicesOfHost(ctx, fqdn)) {
    // service_disable of each: certificates first (with a CA), then keys.
    if (await disableOwnerCertificates(ctx, { service: principalOf(service) }, service.dn)) done = true;
    if ((await passwordFlags(ctx, 'service', service)).has_keytab) {
      await ctx.store.modify(service.dn, [
        { op: 'replace', attr: 'krbprincipalkey', values: [] },
        { op: 'replace', attr: 'krblastpwdchange', values: [] },
      ]);
      done = true;
    }
  }
  if (await disableOwnerCertificates(ctx, { host: fqdn }, entry.dn)) done = true;
  if ((await passwordFlags(ctx, 'service', entry)).has_keytab) {
    // ldap2.remove_principal_key: both the keys and the time they were set go.
    await ctx.store.modify(entry.dn, [
      { op: 'replace', attr: 'krbprincipalkey', values: [] },
      { op: 'replace', attr: 'krblastpwdchange', values: [] },
    ]);
    done = true;
  }
  if (!done) throw new AlreadyInactiveError('This entry is already disabled');
  return { result: true, value: key, summary: `Disabled host "${key}"` };
}

export const hostCommands = defineCommands(
  {
    name: 'host_add',
    write: true,
    args: [fqdnArg],
    options: [...hostParams, p.flag('force'), p.flag('no_reverse'), p.str('ip_address'), ...createOptions(true)],
    run: hostAdd,
  },
  {
    name: 'host_mod',
    write: true,
    args: [fqdnArg],
    options: [...hostParams, p.strs('krbprincipalname', { cli: 'principal' }), p.flag('updatedns'), ...updateOptions(true)],
    run: hostMod,
  },
  {
    name: 'host_del',
    write: true,
    args: [{ ...fqdnArg, multi: true }],
    options: [p.flag('continue'), p.flag('updatedns')],
    run: hostDel,
  },
  {
    name: 'host_show',
    write: false,
    args: [fqdnArg],
    options: [...retrieveOptions(true), p.str('out')],
    run: hostShow,
  },
  {
    name: 'host_find',
    write: false,
    args: [p.str('criteria')],
    options: [
      ...FIND_ATTRS.map((n) => p.str(n, n === 'fqdn' ? { cli: 'hostname' } : {})),
      ...FIND_MULTI.map((n) => p.strs(n)),
      ...MEMBER_OPTIONS.flatMap((t) => [p.strs(`in_${t}`), p.strs(`not_in_${t}`)]),
      p.strs('enroll_by_user'),
      p.strs('not_enroll_by_user'),
      p.strs('man_by_host'),
      p.strs('not_man_by_host'),
      p.strs('man_host'),
      p.strs('not_man_host'),
      ...searchOptions(true),
    ],
    run: hostFind,
  },
  {
    name: 'host_disable',
    write: true,
    args: [fqdnArg],
    options: [],
    run: hostDisable,
  },
);
