/**
 * FreeIPA's directory layout (ipalib/constants.py DEFAULT_CONFIG, and
 * reference/freeipa-api.md section 4): where each object lives, how its DN
 * is built, and the entries a fresh server starts with (containers, the DNS
 * zone of the domain, the IPA master itself, admin, and FreeIPA's managed
 * permissions and default privileges, from permissions/).
 */
import { rdn } from './dn.js';
import { permissionEntries } from './permissions/aci.js';
import type { IpaEntry } from './store.js';

export interface IpaEnv {
  readonly realm: string;
  readonly domain: string;
  /** e.g. dc=example,dc=test */
  readonly suffix: string;
  /** The IPA master's FQDN (api.env.host): Referer and Host checks, master protection. */
  readonly serverName: string;
  /** API version this server speaks (ipapython.version.API_VERSION of 4.9.11). */
  readonly apiVersion: string;
  /** Package version put in every JSON-RPC response. */
  readonly packageVersion: string;
  /** ipaSearchRecordsLimit of cn=ipaConfig: the default find size limit. */
  readonly searchRecordsLimit: number;
  /** ipaMaxHostnameLength of cn=ipaConfig. */
  readonly maxHostnameLength: number;
  /** IPv4 address of the master, for its A record. */
  readonly serverAddress: string;
}

export interface EnvOptions {
  realm?: string;
  domain?: string;
  suffix?: string;
  serverName?: string;
  searchRecordsLimit?: number;
  serverAddress?: string;
}

export function suffixFor(domain: string): string {
  return domain
    .split('.')
    .filter(Boolean)
    .map((label) => rdn('dc', label))
    .join(',');
}

export function makeEnv(opts: EnvOptions = {}): IpaEnv {
  const domain = (opts.domain ?? 'example.test').toLowerCase();
  return {
    realm: opts.realm ?? domain.toUpperCase(),
    domain,
    suffix: opts.suffix ?? suffixFor(domain),
    serverName: (opts.serverName ?? `ipa.${domain}`).toLowerCase(),
    apiVersion: '2.251',
    packageVersion: '4.9.11',
    searchRecordsLimit: opts.searchRecordsLimit ?? 100,
    maxHostnameLength: 64,
    serverAddress: opts.serverAddress ?? '127.0.0.1',
  };
}

/** Container DNs, relative to nothing (full DNs). */
export function containers(env: IpaEnv) {
  const s = env.suffix;
  return {
    accounts: `cn=accounts,${s}`,
    hosts: `cn=computers,cn=accounts,${s}`,
    services: `cn=services,cn=accounts,${s}`,
    users: `cn=users,cn=accounts,${s}`,
    groups: `cn=groups,cn=accounts,${s}`,
    hostgroups: `cn=hostgroups,cn=accounts,${s}`,
    roles: `cn=roles,cn=accounts,${s}`,
    pbac: `cn=pbac,${s}`,
    permissions: `cn=permissions,cn=pbac,${s}`,
    privileges: `cn=privileges,cn=pbac,${s}`,
    dns: `cn=dns,${s}`,
    etc: `cn=etc,${s}`,
    ipa: `cn=ipa,cn=etc,${s}`,
    masters: `cn=masters,cn=ipa,cn=etc,${s}`,
  };
}

export type ObjectType = 'host' | 'service' | 'user' | 'group' | 'hostgroup' | 'role' | 'privilege' | 'permission' | 'dnszone' | 'dnsrecord';

export const dnOf = {
  host: (env: IpaEnv, fqdn: string) => `${rdn('fqdn', fqdn)},${containers(env).hosts}`,
  service: (env: IpaEnv, principal: string) => `${rdn('krbprincipalname', principal)},${containers(env).services}`,
  user: (env: IpaEnv, uid: string) => `${rdn('uid', uid)},${containers(env).users}`,
  group: (env: IpaEnv, cn: string) => `${rdn('cn', cn)},${containers(env).groups}`,
  hostgroup: (env: IpaEnv, cn: string) => `${rdn('cn', cn)},${containers(env).hostgroups}`,
  role: (env: IpaEnv, cn: string) => `${rdn('cn', cn)},${containers(env).roles}`,
  privilege: (env: IpaEnv, cn: string) => `${rdn('cn', cn)},${containers(env).privileges}`,
  permission: (env: IpaEnv, cn: string) => `${rdn('cn', cn)},${containers(env).permissions}`,
  /** `zone` absolute, with its trailing dot. */
  zone: (env: IpaEnv, zone: string) => `${rdn('idnsname', zone)},${containers(env).dns}`,
  record: (env: IpaEnv, zone: string, name: string) => `${rdn('idnsname', name)},${rdn('idnsname', zone)},${containers(env).dns}`,
};

/** Which object type a DN belongs to, from its container (baseldap member conversion does the same). */
export function objectTypeOfDn(env: IpaEnv, dn: string): ObjectType | null {
  const d = dn.toLowerCase();
  const c = containers(env);
  const under = (container: string) => d.endsWith(`,${container.toLowerCase()}`);
  if (under(c.hosts)) return 'host';
  if (under(c.services)) return 'service';
  if (under(c.users)) return 'user';
  if (under(c.groups)) return 'group';
  if (under(c.hostgroups)) return 'hostgroup';
  if (under(c.roles)) return 'role';
  if (under(c.privileges)) return 'privilege';
  if (under(c.permissions)) return 'permission';
  if (under(c.dns)) return 'dnsrecord';
  return null;
}

const container = (dn: string, cn: string): IpaEntry => ({ dn, attrs: { objectclass: ['top', 'nsContainer'], cn: [cn] } });

export interface SeedOptions {
  /** Extra forward or reverse zones (absolute or not), besides the domain's. */
  readonly zones?: readonly string[];
}

export function absoluteZone(zone: string): string {
  const z = zone.toLowerCase();
  return z.endsWith('.') ? z : `${z}.`;
}

export function zoneEntry(env: IpaEnv, zone: string): IpaEntry {
  const abs = absoluteZone(zone);
  return {
    dn: dnOf.zone(env, abs),
    attrs: {
      objectclass: ['top', 'idnsrecord', 'idnszone'],
      idnsname: [abs],
      idnszoneactive: ['TRUE'],
      idnssoamname: [`${env.serverName}.`],
      idnssoarname: [`hostmaster.${env.domain}.`],
      idnssoaserial: ['1'],
      idnssoarefresh: ['3600'],
      idnssoaretry: ['900'],
      idnssoaexpire: ['1209600'],
      idnssoaminimum: ['3600'],
      nsrecord: [`${env.serverName}.`],
      idnsallowdynupdate: ['FALSE'],
      idnsallowquery: ['any;'],
      idnsallowtransfer: ['none;'],
    },
  };
}

/** The entries of a freshly installed server, parents before children. */
export function seedEntries(env: IpaEnv, opts: SeedOptions = {}): IpaEntry[] {
  const c = containers(env);
  const firstLabel = env.domain.split('.')[0] ?? env.domain;
  const out: IpaEntry[] = [
    { dn: env.suffix, attrs: { objectclass: ['top', 'domain'], dc: [firstLabel] } },
    container(c.accounts, 'accounts'),
    container(c.hosts, 'computers'),
    container(c.services, 'services'),
    container(c.users, 'users'),
    container(c.groups, 'groups'),
    container(c.hostgroups, 'hostgroups'),
    container(c.roles, 'roles'),
    container(c.pbac, 'pbac'),
    container(c.permissions, 'permissions'),
    container(c.privileges, 'privileges'),
    container(c.etc, 'etc'),
    container(c.ipa, 'ipa'),
    container(c.masters, 'masters'),
    { dn: `${rdn('cn', env.serverName)},${c.masters}`, attrs: { objectclass: ['top', 'nsContainer'], cn: [env.serverName] } },
    { dn: c.dns, attrs: { objectclass: ['top', 'nsContainer', 'idnsConfigObject'], cn: ['dns'] } },
  ];
  const zones = [env.domain, ...(opts.zones ?? [])];
  const seen = new Set<string>();
  for (const z of zones) {
    const abs = absoluteZone(z);
    if (seen.has(abs)) continue;
    seen.add(abs);
    out.push(zoneEntry(env, abs));
  }
  // The master: a host entry with a keytab, and its A record.
  const serverShort = env.serverName.split('.')[0] ?? env.serverName;
  const serverDn = dnOf.host(env, env.serverName);
  const principal = `host/${env.serverName}@${env.realm}`;
  out.push({
    dn: serverDn,
    attrs: {
      objectclass: ['top', 'ipaobject', 'nshost', 'ipahost', 'pkiuser', 'ipaservice', 'krbprincipalaux', 'krbprincipal', 'ieee802device', 'ipasshhost'],
      fqdn: [env.serverName],
      cn: [env.serverName],
      serverhostname: [serverShort],
      managedby: [serverDn],
      ipauniqueid: ['00000000-0000-4000-8000-000000000001'],
      krbprincipalname: [principal],
      krbcanonicalname: [principal],
      krbprincipalkey: ['opaque-master-key'],
      krblastpwdchange: ['20240101000000Z'],
    },
  });
  if (env.serverName.endsWith(`.${env.domain}`)) {
    const rel = env.serverName.slice(0, -(env.domain.length + 1));
    out.push({
      dn: dnOf.record(env, absoluteZone(env.domain), rel),
      attrs: { objectclass: ['top', 'idnsrecord'], idnsname: [rel], arecord: [env.serverAddress] },
    });
  }
  out.push({
    dn: dnOf.user(env, 'admin'),
    attrs: {
      objectclass: ['top', 'person', 'posixaccount', 'krbprincipalaux', 'krbticketpolicyaux', 'inetuser', 'ipaobject', 'ipasshuser', 'ipaSshGroupOfPubKeys'],
      uid: ['admin'],
      cn: ['Administrator'],
      sn: ['Administrator'],
      uidnumber: ['1000'],
      gidnumber: ['1000'],
      homedirectory: ['/home/admin'],
      krbprincipalname: [`admin@${env.realm}`],
      krbcanonicalname: [`admin@${env.realm}`],
      ipauniqueid: ['00000000-0000-4000-8000-000000000002'],
    },
  });
  out.push({
    dn: dnOf.group(env, 'admins'),
    attrs: { objectclass: ['top', 'groupofnames', 'nestedgroup', 'ipausergroup', 'ipaobject'], cn: ['admins'], member: [dnOf.user(env, 'admin')], ipauniqueid: ['00000000-0000-4000-8000-000000000003'] },
  });
  out.push(...permissionEntries(env));
  return out;
}
