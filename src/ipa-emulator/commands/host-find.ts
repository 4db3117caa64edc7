/**
 * host_find (ipaserver/plugins/host.py, FreeIPA 4.9): criteria and attribute
 * options, managed-by, enrolled-by and group membership options, no NotFound
 * and a size limit.
 */
import { withCertificateAttrs } from '../ca/owners.js';
import type { CommandContext, CommandDef } from '../command.js';
import { rdn } from '../dn.js';
import { containers, dnOf } from '../layout.js';
import { entryOutput, findHost, notFound, OBJECTS } from '../objects.js';
import { get, p, searchOptions, type Params } from '../params.js';
import { f, first, type Filter } from '../store.js';
import { messages } from '../wire.js';
import { HOST_OBJECTCLASSES } from './host-entry.js';
import { normalizeHostname } from './host-name.js';
import { kerberosFlags } from './host-ticket-flags.js';

const HOST = OBJECTS.host;

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

export const hostFindCommand: CommandDef = {
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
};
