/**
 * FreeIPA's LDAP objects as the commands share them (baseldap.LDAPObject):
 * default attributes, membership attributes and their conversion to
 * `<attr>_<type>` primary-key lists, virtual memberOf, the password flags,
 * typed output values, and deletes with referential integrity (389-ds's
 * referint plugin removes a deleted DN from managedBy and member values).
 */
import { FreeIpaError, NotFoundError, ValidationError } from '../freeipa/errors.js';
import { formatPrincipal, parsePrincipal } from './commands/principal.js';
import type { CommandContext } from './command.js';
import { firstRdnValue, normalizeDn, rdn } from './dn.js';
import { containers, dnOf, objectTypeOfDn, type IpaEnv, type ObjectType } from './layout.js';
import { f, first, has, type IpaEntry, type IpaStore } from './store.js';
import { DnsName, IpaDateTime } from './wire.js';

export interface ObjectDef {
  readonly type: ObjectType;
  /** object_name, used in 'x: <name> not found' and '<name> with name "x" already exists'. */
  readonly label: string;
  readonly pkeyAttr: string;
  readonly defaultAttrs: readonly string[];
  readonly attributeMembers: Readonly<Record<string, readonly ObjectType[]>>;
}

const HOST_MEMBEROF: ObjectType[] = ['hostgroup', 'role'];

export const OBJECTS = {
  host: {
    type: 'host',
    label: 'host',
    pkeyAttr: 'fqdn',
    defaultAttrs: [
      'fqdn', 'description', 'l', 'nshostlocation', 'krbcanonicalname', 'krbprincipalname', 'nshardwareplatform',
      'nsosversion', 'usercertificate', 'memberof', 'managedby', 'memberofindirect', 'macaddress', 'userclass',
      'ipaallowedtoperform', 'ipaassignedidview', 'krbprincipalauthind', 'memberprincipal',
    ],
    attributeMembers: { enrolledby: ['user'], memberof: HOST_MEMBEROF, managedby: ['host'], managing: ['host'], memberofindirect: HOST_MEMBEROF },
  },
  service: {
    type: 'service',
    label: 'service',
    pkeyAttr: 'krbcanonicalname',
    defaultAttrs: ['krbprincipalname', 'krbcanonicalname', 'usercertificate', 'managedby', 'ipakrbauthzdata', 'memberof', 'ipaallowedtoperform', 'krbprincipalauthind'],
    attributeMembers: { managedby: ['host'], memberof: ['role'] },
  },
  role: {
    type: 'role',
    label: 'role',
    pkeyAttr: 'cn',
    defaultAttrs: ['cn', 'description', 'member', 'memberof'],
    attributeMembers: { member: ['user', 'group', 'host', 'hostgroup', 'service'], memberof: ['privilege'] },
  },
  privilege: {
    type: 'privilege',
    label: 'privilege',
    pkeyAttr: 'cn',
    defaultAttrs: ['cn', 'description', 'member', 'memberof'],
    attributeMembers: { member: ['role'], memberof: ['permission'] },
  },
  permission: {
    type: 'permission',
    label: 'permission',
    pkeyAttr: 'cn',
    defaultAttrs: [
      'cn', 'member', 'memberof', 'memberindirect', 'ipapermissiontype', 'objectclass', 'ipapermdefaultattr',
      'ipapermincludedattr', 'ipapermexcludedattr', 'ipapermbindruletype', 'ipapermlocation', 'ipapermright',
      'ipapermtargetfilter', 'ipapermtarget',
    ],
    attributeMembers: { member: ['privilege'], memberindirect: ['role'] },
  },
} satisfies Record<string, ObjectDef>;

/** Attributes no command ever returns (not readable through FreeIPA's ACIs, or internal). */
const NEVER_OUTPUT = new Set(['userpassword', 'krbprincipalkey', 'krbextradata', 'krbpwdhistory', 'krbloginfailedcount']);
const DATETIME_ATTRS = new Set(['krblastpwdchange', 'krbpasswordexpiration', 'krbprincipalexpiration', 'krblastsuccessfulauth', 'krblastfailedauth']);
const DNSNAME_ATTRS = new Set(['idnsname', 'idnssoamname', 'idnssoarname']);

export interface OutputOptions {
  readonly all?: boolean;
  readonly raw?: boolean;
  readonly noMembers?: boolean;
  /** Attributes to return besides the defaults (LDAPCreate adds what it was given). */
  readonly extraAttrs?: readonly string[];
  /** LDAPUpdate results carry no `dn` unless `all`. */
  readonly withDn?: boolean;
}

export function notFound(obj: { label: string }, key: string): FreeIpaError {
  const reason = `${key}: ${obj.label} not found`;
  return new NotFoundError(reason, { reason });
}

/** DNs of the entries that list `dn` in their `member` (what 389-ds's memberOf plugin would store). */
export async function memberOf(store: IpaStore, env: IpaEnv, dn: string): Promise<string[]> {
  const { entries } = await store.search(env.suffix, { scope: 'sub', filter: f.eq('member', dn) });
  return entries.map((e) => e.dn);
}

async function nestedMemberOf(store: IpaStore, env: IpaEnv, dn: string): Promise<string[]> {
  const seen = new Set<string>();
  const out: string[] = [];
  let frontier = [dn];
  while (frontier.length) {
    const next: string[] = [];
    for (const d of frontier) {
      for (const g of await memberOf(store, env, d)) {
        if (seen.has(g.toLowerCase())) continue;
        seen.add(g.toLowerCase());
        out.push(g);
        next.push(g);
      }
    }
    frontier = next;
  }
  return out;
}

/** Shapes a stored entry into command output, as entry_to_dict + convert_attribute_members do. */
export async function entryOutput(ctx: CommandContext, obj: ObjectDef, entry: IpaEntry, opts: OutputOptions = {}): Promise<Record<string, unknown>> {
  const memberAttrs = new Set(Object.keys(obj.attributeMembers));
  const attrs: Record<string, string[]> = {};
  const wanted = new Set(opts.all ? [...Object.keys(entry.attrs), ...obj.defaultAttrs] : [...obj.defaultAttrs, ...(opts.extraAttrs ?? [])]);
  if (opts.noMembers) for (const m of memberAttrs) wanted.delete(m);
  for (const name of wanted) {
    if (NEVER_OUTPUT.has(name)) continue;
    const v = entry.attrs[name];
    if (v?.length) attrs[name] = [...v];
  }
  if (wanted.has('memberof') && !opts.raw) {
    const groups = await memberOf(ctx.system, ctx.env, entry.dn);
    if (groups.length) attrs.memberof = groups;
  } else if (wanted.has('memberof')) {
    // Raw, memberOf is what 389-ds's memberOf plugin stores: every group reached through nesting
    // (role, privilege, permission), which is how a principal sees its own rights.
    const groups = await nestedMemberOf(ctx.system, ctx.env, entry.dn);
    if (groups.length) attrs.memberof = groups;
  }
  if (opts.all && obj.type === 'host' && !opts.noMembers) {
    const { entries } = await ctx.store.search(containers(ctx.env).hosts, { scope: 'one', filter: f.eq('managedby', entry.dn) });
    if (entries.length) attrs.managing = entries.map((e) => e.dn);
  }
  const out: Record<string, unknown> = {};
  for (const [name, values] of Object.entries(attrs)) {
    if (!opts.raw && !opts.noMembers && memberAttrs.has(name)) {
      for (const value of values) {
        const type = objectTypeOfDn(ctx.env, value);
        const allowed = obj.attributeMembers[name] ?? [];
        if (!type || !allowed.includes(type)) continue;
        const key = `${name}_${type}`;
        const list = (out[key] as string[] | undefined) ?? [];
        list.push(firstRdnValue(value));
        out[key] = list;
      }
      continue;
    }
    if (opts.raw) out[name] = values;
    else if (DATETIME_ATTRS.has(name)) out[name] = values.map((v) => new IpaDateTime(v));
    else if (DNSNAME_ATTRS.has(name)) out[name] = values.map((v) => new DnsName(v));
    else out[name] = values;
  }
  if (opts.withDn !== false) out.dn = entry.dn;
  return out;
}

/** baseldap.get_password_attributes: presence of the secret attributes, never their values. */
export async function passwordFlags(ctx: CommandContext, obj: 'host' | 'service', entry: IpaEntry): Promise<Record<string, boolean>> {
  // baseldap: base-scope presence searches, which "Search existence of password and kerberos keys" lets
  // every authenticated caller make although nobody may read the values.
  const present = async (attr: string) =>
    has(entry, attr) || (await ctx.store.search(entry.dn, { scope: 'base', filter: f.present(attr) }).catch(() => ({ entries: [] }))).entries.length > 0;
  const hasKeytab = await present('krbprincipalkey');
  if (obj === 'service') return { has_keytab: hasKeytab };
  const hasPassword = await present('userpassword');
  // host_add/mod/show: with an OTP set there is no keytab "fetched anywhere".
  return { has_password: hasPassword, has_keytab: hasPassword ? false : hasKeytab };
}

/** host.get_dn: the entry of `fqdn`, or of a host whose serverhostname (short name) is `key`. */
export async function findHost(ctx: CommandContext, key: string): Promise<IpaEntry | null> {
  const byDn = await ctx.store.get(dnOf.host(ctx.env, key));
  if (byDn) return byDn;
  const { entries } = await ctx.store.search(containers(ctx.env).hosts, {
    scope: 'one',
    filter: f.and(f.eq('objectclass', 'ipahost'), f.eq('serverhostname', key)),
    sizeLimit: 2,
  });
  return entries[0] ?? null;
}

/** The DN a member name refers to, found or not (LDAPModMember.get_member_dns). */
export async function memberDn(ctx: CommandContext, type: ObjectType | 'idoverrideuser', name: string): Promise<string> {
  switch (type) {
    case 'host': {
      const key = name.toLowerCase().replace(/\.$/, '');
      return (await findHost(ctx, key))?.dn ?? dnOf.host(ctx.env, name);
    }
    case 'user':
      return dnOf.user(ctx.env, name);
    case 'group':
      return dnOf.group(ctx.env, name);
    case 'hostgroup':
      return dnOf.hostgroup(ctx.env, name);
    case 'role':
      return dnOf.role(ctx.env, name);
    case 'privilege':
      return dnOf.privilege(ctx.env, name);
    case 'permission':
      return dnOf.permission(ctx.env, name);
    case 'service': {
      // service.get_dn: normalize_principal (the realm is appended).
      const parsed = parsePrincipal(name);
      if (!parsed) throw new ValidationError("invalid 'principal': Malformed principal", { name: 'principal', error: 'Malformed principal' });
      return dnOf.service(ctx.env, formatPrincipal(parsed, ctx.env.realm));
    }
    default:
      // idoverrideuser and other types this emulator has no entries for.
      return `${rdn('ipaanchoruuid', `:IPA:${ctx.env.domain}:${name}`)},cn=Default Trust View,cn=views,cn=accounts,${ctx.env.suffix}`;
  }
}

/** get_primary_key_from_dn: the pkey value of the entry if it exists, else the RDN value. */
export async function pkeyFromDn(ctx: CommandContext, obj: ObjectDef | null, dn: string): Promise<string> {
  if (obj) {
    const entry = await ctx.store.get(dn);
    const v = first(entry, obj.pkeyAttr);
    if (v !== undefined) return v;
  }
  return firstRdnValue(dn);
}

/** Deletes an entry and, like referint, drops its DN from every managedBy/member that names it. */
export async function deleteEntry(ctx: CommandContext, dn: string): Promise<void> {
  await ctx.store.delete(dn);
  await dropReferences(ctx.system, ctx.env, dn);
}

export async function dropReferences(store: IpaStore, env: IpaEnv, dn: string): Promise<void> {
  const attrs = ['managedby', 'member', 'memberhost', 'memberuser'];
  const { entries } = await store.search(env.suffix, { scope: 'sub', filter: f.or(...attrs.map((a) => f.eq(a, dn))) });
  const key = normalizeDn(dn);
  for (const entry of entries) {
    const changes = attrs
      .map((attr) => ({ attr, values: (entry.attrs[attr] ?? []).filter((v) => normalizeDn(v) === key) }))
      .filter((c) => c.values.length)
      .map((c) => ({ op: 'delete' as const, attr: c.attr, values: c.values }));
    if (changes.length) {
      try {
        await store.modify(entry.dn, changes);
      } catch {
        // Raced with another delete of the same entry: nothing left to clean.
      }
    }
  }
}

/** pkey_to_value: a list for clients with primary_key_types (2.83+), else the keys joined by ','. */
export function pkeyList(values: readonly unknown[], capable: boolean): unknown {
  return capable ? [...values] : values.map(String).join(',');
}
