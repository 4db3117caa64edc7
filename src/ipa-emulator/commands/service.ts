/**
 * service_add, service_del, service_show, service_find, service_add_host,
 * service_remove_host, service_disable (ipaserver/plugins/service.py, 4.9):
 * principal normalization with the realm, host/ principals refused without
 * `force`, the host must exist unless `skip_host_check`, the DNS check,
 * managedBy = the host, membership edits reported in `failed`.
 */
import { randomUUID } from 'node:crypto';
import {
  AlreadyInactiveError,
  DNSNotARecordError,
  DuplicateEntryError,
  FreeIpaError,
  HostServiceError,
  NotFoundError,
} from '../../freeipa/errors.js';
import { applyAttrOptions, attrOptionNames } from '../attr-options.js';
import { disableOwnerCertificates, recordStoredCertificates, revokeOwnerCertificates, withCertificateAttrs } from '../ca/owners.js';
import { defineCommands, type CommandContext } from '../command.js';
import { hostResolvable } from '../dns-data.js';
import { containers, dnOf } from '../layout.js';
import { addMembers, removeMembers } from '../members.js';
import { deleteEntry, entryOutput, findHost, notFound, OBJECTS, passwordFlags, pkeyList } from '../objects.js';
import { createOptions, get, p, retrieveOptions, searchOptions, validationError, type Params } from '../params.js';
import { f, first, has, type Filter, type IpaEntry } from '../store.js';
import { hasCapability, messages } from '../wire.js';
import { isMaster } from './host-entry.js';
import { matchedSummary } from './host-find.js';
import { normalizeHostname } from './host-name.js';
import { servicePrincipal } from './principal.js';

const SERVICE = OBJECTS.service;
const SERVICE_OBJECTCLASSES = ['krbprincipal', 'krbprincipalaux', 'krbticketpolicyaux', 'ipaobject', 'ipaservice', 'pkiuser'];
const pkeyArg = p.str('krbcanonicalname', { cli: 'canonical_principal', required: true });
const PAC_TYPES = ['MS-PAC', 'PAD', 'NONE'];

function outputOpts(params: Params) {
  return { all: get.flag(params, 'all'), raw: get.flag(params, 'raw'), noMembers: get.flag(params, 'no_members') };
}

/** populate_krbcanonicalname: old entries without it show their principal name. */
function withCanonical(out: Record<string, unknown>, entry: IpaEntry, raw: boolean): Record<string, unknown> {
  if (!raw && out.krbcanonicalname === undefined && entry.attrs.krbprincipalname) out.krbcanonicalname = entry.attrs.krbprincipalname;
  return out;
}

export async function requireService(ctx: CommandContext, principal: string): Promise<IpaEntry> {
  const entry = await ctx.store.get(dnOf.service(ctx.env, principal));
  if (!entry) throw notFound(SERVICE, principal);
  return entry;
}

async function serviceAdd(ctx: CommandContext, params: Params) {
  const { principal, parsed } = servicePrincipal(String(params.krbcanonicalname), ctx.env);
  const force = get.flag(params, 'force');
  const skipHostCheck = get.flag(params, 'skip_host_check');
  const hostname = normalizeHostname(parsed.components[1] as string);
  if (parsed.components[0] === 'host' && !force) throw new HostServiceError('You must enroll a host in order to create a host service');
  let hostDn: string | undefined;
  if (!skipHostCheck) {
    const host = await findHost(ctx, hostname);
    if (!host) {
      const reason = `The host '${parsed.components[1]}' does not exist to add a service to.`;
      throw new NotFoundError(reason, { reason });
    }
    hostDn = host.dn;
  }
  const authz = get.strs(params, 'ipakrbauthzdata');
  if (authz?.includes('NONE') && authz.length > 1) throw validationError('ipakrbauthzdata', 'NONE value cannot be combined with other PAC types');
  if (!force && !(await hostResolvable(ctx, hostname))) {
    throw new DNSNotARecordError(`Host '${hostname}' does not have corresponding DNS A/AAAA record`, { hostname });
  }
  const dn = dnOf.service(ctx.env, principal);
  const planned: Record<string, string[] | null> = {};
  for (const name of ['ipakrbauthzdata', 'krbprincipalauthind', 'usercertificate']) {
    const v = get.strs(params, name);
    if (v) planned[name] = v;
  }
  applyAttrOptions(params, planned, null);
  const attrs: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(planned)) if (v?.length) attrs[k] = v;
  Object.assign(attrs, {
    objectclass: ['top', ...SERVICE_OBJECTCLASSES, 'ipakrbprincipal'],
    krbprincipalname: [principal],
    krbcanonicalname: [principal],
    ipakrbprincipalalias: [principal],
    ipauniqueid: [randomUUID()],
  });
  if (hostDn && !attrs.managedby) attrs.managedby = [hostDn];
  try {
    await ctx.store.add({ dn, attrs });
  } catch (err) {
    if (err instanceof DuplicateEntryError) throw new DuplicateEntryError(`service with name "${principal}" already exists`);
    throw err;
  }
  const entry = (await ctx.store.get(dn)) as IpaEntry;
  recordStoredCertificates(ctx, entry);
  const result = await entryOutput(ctx, SERVICE, entry, { ...outputOpts(params), extraAttrs: ['objectclass', 'ipauniqueid', ...Object.keys(planned), ...attrOptionNames(params)] });
  withCertificateAttrs(ctx, result, principal, get.flag(params, 'raw'));
  return { result: withCanonical(result, entry, get.flag(params, 'raw')), value: principal, summary: `Added service "${principal}"` };
}

/** check_required_principal: the master's own services may not go. */
async function refuseMasterService(ctx: CommandContext, principal: string, components: readonly string[]): Promise<void> {
  const host = (components[1] ?? '').toLowerCase();
  if (['http', 'ldap', 'dns', 'dogtagldap'].includes((components[0] ?? '').toLowerCase()) && (await isMaster(ctx, host))) {
    throw validationError('principal', 'This principal is required by the IPA master');
  }
  void principal;
}

async function serviceDel(ctx: CommandContext, params: Params) {
  const raws = get.strs(params, 'krbcanonicalname') ?? [];
  const keys = raws.map((r) => servicePrincipal(r, ctx.env, undefined, true));
  const deleted: string[] = [];
  const failed: string[] = [];
  for (const { principal, parsed } of keys) {
    try {
      await refuseMasterService(ctx, principal, parsed.components);
      if (await ctx.store.get(dnOf.service(ctx.env, principal))) await revokeOwnerCertificates(ctx, { service: principal });
      try {
        await deleteEntry(ctx, dnOf.service(ctx.env, principal));
      } catch (err) {
        if (err instanceof NotFoundError) throw notFound(SERVICE, principal);
        throw err;
      }
      deleted.push(principal);
    } catch (err) {
      if (!get.flag(params, 'continue') || !(err instanceof FreeIpaError)) throw err;
      failed.push(principal);
    }
  }
  const capable = hasCapability(ctx.version, 'primary_key_types');
  return { result: { failed: pkeyList(failed, capable) }, value: pkeyList(deleted, capable), summary: `Deleted service "${deleted.join(',')}"` };
}

async function serviceShow(ctx: CommandContext, params: Params) {
  const { principal } = servicePrincipal(String(params.krbcanonicalname), ctx.env, undefined, true);
  const entry = await requireService(ctx, principal);
  const result = await entryOutput(ctx, SERVICE, entry, outputOpts(params));
  withCertificateAttrs(ctx, result, principal, get.flag(params, 'raw'));
  Object.assign(result, await passwordFlags(ctx, 'service', entry));
  return { result: withCanonical(result, entry, get.flag(params, 'raw')), value: principal, summary: null };
}

async function serviceFind(ctx: CommandContext, params: Params) {
  const filters: Filter[] = [
    f.eq('objectclass', 'ipaservice'),
    f.not(f.eq('objectclass', 'posixaccount')),
    f.not(f.or(f.startsWith('krbprincipalname', 'kadmin/'), f.startsWith('krbprincipalname', 'K/M@'), f.startsWith('krbprincipalname', 'krbtgt/'))),
    ...SERVICE_OBJECTCLASSES.map((oc) => f.eq('objectclass', oc)),
  ];
  const criteria = get.str(params, 'criteria');
  if (criteria) filters.push(f.or(...['krbprincipalname', 'managedby', 'ipakrbauthzdata'].map((a) => f.contains(a, criteria))));
  const searched: string[] = [];
  const canonical = get.str(params, 'krbcanonicalname');
  if (canonical !== undefined) {
    searched.push('krbcanonicalname');
    filters.push(f.eq('krbcanonicalname', servicePrincipal(canonical, ctx.env, undefined, true).principal));
  }
  for (const name of ['krbprincipalname', 'ipakrbauthzdata', 'krbprincipalauthind']) {
    const vs = get.strs(params, name);
    if (!vs) continue;
    searched.push(name);
    for (const v of vs) filters.push(f.eq(name, name === 'krbprincipalname' ? servicePrincipal(v, ctx.env, 'principal', true).principal : v));
  }
  const hostDn = async (n: string) => (await findHost(ctx, normalizeHostname(n)))?.dn ?? dnOf.host(ctx.env, n);
  for (const n of get.strs(params, 'man_by_host') ?? []) filters.push(f.eq('managedby', await hostDn(n)));
  const notBy = get.strs(params, 'not_man_by_host');
  if (notBy) filters.push(f.not(f.or(...(await Promise.all(notBy.map(hostDn))).map((dn) => f.eq('managedby', dn)))));
  const limit = get.int(params, 'sizelimit') ?? ctx.env.searchRecordsLimit;
  const { entries, truncated } = await ctx.store.search(containers(ctx.env).services, { scope: 'one', filter: f.and(...filters), sizeLimit: limit });
  const key = (e: IpaEntry) => first(e, 'krbcanonicalname') ?? first(e, 'krbprincipalname') ?? '';
  entries.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
  const pkeyOnly = get.flag(params, 'pkey_only');
  const result = await Promise.all(
    entries.map(async (e) => {
      if (pkeyOnly) return withCanonical({ dn: e.dn, krbprincipalname: e.attrs.krbprincipalname ?? [], ...(e.attrs.krbcanonicalname ? { krbcanonicalname: e.attrs.krbcanonicalname } : {}) }, e, false);
      const out = await entryOutput(ctx, SERVICE, e, {
        all: get.flag(params, 'all'),
        raw: get.flag(params, 'raw'),
        noMembers: params.no_members !== false,
        extraAttrs: searched,
      });
      withCertificateAttrs(ctx, out, key(e), get.flag(params, 'raw'));
      return withCanonical(Object.assign(out, await passwordFlags(ctx, 'service', e)), e, get.flag(params, 'raw'));
    }),
  );
  if (truncated) ctx.addMessage(messages.searchResultTruncated('Configured size limit exceeded'));
  return { count: result.length, truncated, result, summary: matchedSummary(result.length, 'service', 'services') };
}

function memberResult(ctx: CommandContext, params: Params, principal: string, completed: number, failed: Record<string, unknown>) {
  return async () => {
    const entry = await requireService(ctx, principal);
    const result = withCanonical(await entryOutput(ctx, SERVICE, entry, outputOpts(params)), entry, get.flag(params, 'raw'));
    return { completed, failed: { managedby: failed }, result };
  };
}

async function serviceAddHost(ctx: CommandContext, params: Params) {
  const { principal } = servicePrincipal(String(params.krbcanonicalname), ctx.env, undefined, true);
  const dn = dnOf.service(ctx.env, principal);
  const { completed, failed } = await addMembers(ctx, dn, 'managedby', [{ type: 'host', names: get.strs(params, 'host') ?? [] }]);
  return memberResult(ctx, params, principal, completed, failed)();
}

async function serviceRemoveHost(ctx: CommandContext, params: Params) {
  const { principal } = servicePrincipal(String(params.krbcanonicalname), ctx.env, undefined, true);
  const dn = dnOf.service(ctx.env, principal);
  const { completed, failed } = await removeMembers(ctx, dn, 'managedby', [{ type: 'host', names: get.strs(params, 'host') ?? [] }]);
  return memberResult(ctx, params, principal, completed, failed)();
}

async function serviceDisable(ctx: CommandContext, params: Params) {
  const { principal, parsed } = servicePrincipal(String(params.krbcanonicalname), ctx.env, undefined, true);
  const entry = await requireService(ctx, principal);
  await refuseMasterService(ctx, principal, parsed.components);
  const certificates = await disableOwnerCertificates(ctx, { service: principal }, entry.dn);
  if (!has(entry, 'krbprincipalkey') && !certificates) throw new AlreadyInactiveError('This entry is already disabled');
  if (has(entry, 'krbprincipalkey')) {
    await ctx.store.modify(entry.dn, [
      { op: 'replace', attr: 'krbprincipalkey', values: [] },
      { op: 'replace', attr: 'krblastpwdchange', values: [] },
    ]);
  }
  return { result: true, value: principal, summary: `Disabled service "${principal}"` };
}

const memberOptions = [p.strs('host'), p.flag('all'), p.flag('raw'), p.flag('no_members')];

export const serviceCommands = defineCommands(
  {
    name: 'service_add',
    write: true,
    args: [pkeyArg],
    options: [
      p.flag('force'),
      p.flag('skip_host_check'),
      p.strs('ipakrbauthzdata', { cli: 'pac_type', values: PAC_TYPES }),
      p.strs('krbprincipalauthind', { cli: 'auth_ind' }),
      p.certs('usercertificate', { cli: 'certificate' }),
      p.bool('ipakrbrequirespreauth'),
      p.bool('ipakrbokasdelegate'),
      p.bool('ipakrboktoauthasdelegate'),
      ...createOptions(true),
    ],
    run: serviceAdd,
  },
  { name: 'service_del', write: true, args: [{ ...pkeyArg, multi: true }], options: [p.flag('continue')], run: serviceDel },
  { name: 'service_show', write: false, args: [pkeyArg], options: [...retrieveOptions(true), p.str('out')], run: serviceShow },
  {
    name: 'service_find',
    write: false,
    args: [p.str('criteria')],
    options: [
      p.str('krbcanonicalname', { cli: 'canonical_principal' }),
      p.strs('krbprincipalname', { cli: 'principal' }),
      p.strs('ipakrbauthzdata', { cli: 'pac_type', values: PAC_TYPES }),
      p.strs('krbprincipalauthind', { cli: 'auth_ind' }),
      p.strs('man_by_host'),
      p.strs('not_man_by_host'),
      ...searchOptions(true),
    ],
    run: serviceFind,
  },
  { name: 'service_add_host', write: true, args: [pkeyArg], options: memberOptions, run: serviceAddHost },
  { name: 'service_remove_host', write: true, args: [pkeyArg], options: memberOptions, run: serviceRemoveHost },
  { name: 'service_disable', write: true, args: [pkeyArg], options: [], run: serviceDisable },
);
