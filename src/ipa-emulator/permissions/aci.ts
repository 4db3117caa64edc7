/**
 * The one generator (update_managed_permissions.py + permission.py's ACI
 * rendering): every permission table becomes permission entries, the
 * privileges they name, and the ACIs 389-ds evaluates for the caller, next
 * to FreeIPA's static ACIs that are not permissions (admins, anonymous
 * reads, existence of keys). The memory store keeps the entries and ignores
 * the ACIs; the 389-ds store installs both.
 */
import { rdn } from '../dn.js';
import type { IpaEnv } from '../layout.js';
import type { IpaEntry } from '../store.js';
import { dnsPermissions } from './dns.js';
import { hostPermissions } from './host.js';
import { servicePermissions } from './service.js';
import type { ManagedPermission, PermissionTable } from './types.js';
import { VIRTUAL_OPERATIONS_CONTAINER, virtualOperations } from './virtual.js';

export const PERMISSION_TABLES: readonly PermissionTable[] = [hostPermissions, servicePermissions, dnsPermissions];

export interface Aci {
  /** The entry whose `aci` attribute holds it. */
  readonly dn: string;
  readonly aci: string;
}

const under = (relative: string, suffix: string) => (relative ? `${relative},${suffix}` : suffix);
// DNs built here rather than with layout.ts's dnOf: layout's seed includes these entries.
const dnOf = {
  permission: (env: IpaEnv, cn: string) => `${rdn('cn', cn)},cn=permissions,cn=pbac,${env.suffix}`,
  privilege: (env: IpaEnv, cn: string) => `${rdn('cn', cn)},cn=privileges,cn=pbac,${env.suffix}`,
  group: (env: IpaEnv, cn: string) => `${rdn('cn', cn)},cn=groups,cn=accounts,${env.suffix}`,
};

function bindRule(env: IpaEnv, p: ManagedPermission, permissionDn?: string): string {
  switch (p.bind ?? 'permission') {
    case 'all':
      return 'userdn = "ldap:///all"';
    case 'anonymous':
      return 'userdn = "ldap:///anyone"';
    case 'self':
      return 'userdn = "ldap:///self"';
    case 'permission':
      return `groupdn = "ldap:///${permissionDn ?? dnOf.permission(env, p.name)}"`;
  }
}

/** permission.py _get_aci_string: targetattr, target, targetfilter (sorted, ANDed), then the rule. */
export function aciFor(env: IpaEnv, table: PermissionTable, p: ManagedPermission, permissionDn?: string): string {
  const parts: string[] = [];
  const attrs = [...(p.attrs ?? [])];
  // A read of objectclass also grants the operational attributes (permission.py:540-552).
  if (p.rights.includes('read') && attrs.includes('objectclass')) attrs.push('entryusn', 'createtimestamp', 'modifytimestamp');
  if (attrs.length) parts.push(`(targetattr = "${[...new Set(attrs)].sort().join(' || ')}")`);
  if (table.target) parts.push(`(target = "ldap:///${env.suffix ? under(table.target, env.suffix) : table.target}")`);
  const filters = [table.objectFilter, p.extraFilter].filter((x): x is string => !!x).map((x) => x.replaceAll('$SUFFIX', env.suffix)).sort();
  if (filters.length) parts.push(`(targetfilter = "${filters.length === 1 ? filters[0] : `(&${filters.join('')})`}")`);
  const rights = [...p.rights].sort().join(',');
  return `${parts.join('')}(version 3.0;acl "permission:${p.name}";allow (${rights}) ${bindRule(env, p, permissionDn)};)`;
}

function privilegeNames(): string[] {
  const names = new Set<string>();
  for (const t of PERMISSION_TABLES) for (const p of t.permissions) for (const x of p.privileges ?? []) names.add(x);
  for (const v of virtualOperations) for (const x of v.privileges) names.add(x);
  return [...names].sort();
}

/** Permission, privilege and virtual-operation entries of a fresh install, parents before children. */
export function permissionEntries(env: IpaEnv): IpaEntry[] {
  const out: IpaEntry[] = [];
  const members = (privileges: readonly string[] | undefined): Record<string, string[]> => (privileges?.length ? { member: privileges.map((x) => dnOf.privilege(env, x)) } : {});
  for (const table of PERMISSION_TABLES) {
    for (const p of table.permissions) {
      out.push({
        dn: dnOf.permission(env, p.name),
        attrs: {
          objectclass: ['top', 'groupofnames', 'ipapermission', 'ipapermissionv2'],
          cn: [p.name],
          ipapermright: [...p.rights],
          ipapermbindruletype: [p.bind ?? 'permission'],
          ipapermissiontype: ['SYSTEM', 'V2', 'MANAGED'],
          ipapermlocation: [under(table.location, env.suffix)],
          ...(table.target ? { ipapermtarget: [under(table.target, env.suffix)] } : {}),
          ...(table.objectFilter || p.extraFilter
            ? { ipapermtargetfilter: [table.objectFilter, p.extraFilter].filter((x): x is string => !!x).map((x) => x.replaceAll('$SUFFIX', env.suffix)) }
            : {}),
          ...(p.attrs?.length ? { ipapermdefaultattr: [...p.attrs] } : {}),
          ...members(p.privileges),
        },
      });
    }
  }
  const ops = `${VIRTUAL_OPERATIONS_CONTAINER},${env.suffix}`;
  out.push({ dn: ops, attrs: { objectclass: ['top', 'nsContainer'], cn: ['virtual operations'] } });
  for (const v of virtualOperations) {
    out.push({ dn: `${rdn('cn', v.operation)},${ops}`, attrs: { objectclass: ['top', 'nsContainer'], cn: [v.operation] } });
    out.push({
      dn: dnOf.permission(env, v.permission),
      attrs: { objectclass: ['top', 'groupofnames', 'ipapermission'], cn: [v.permission], ipapermissiontype: ['SYSTEM'], ...members(v.privileges) },
    });
  }
  for (const name of privilegeNames()) {
    out.push({ dn: dnOf.privilege(env, name), attrs: { objectclass: ['top', 'groupofnames', 'nestedgroup'], cn: [name], description: [name] } });
  }
  return out;
}

/** Every ACI of the tables, of the virtual operations, and FreeIPA's static ones (default-aci.ldif, 20-aci.update). */
export function managedAcis(env: IpaEnv): Aci[] {
  const s = env.suffix;
  const accounts = `cn=accounts,${s}`;
  const admins = `groupdn = "ldap:///${dnOf.group(env, 'admins')}"`;
  const out: Aci[] = [];
  for (const table of PERMISSION_TABLES) {
    for (const p of table.permissions) out.push({ dn: under(table.location, s), aci: aciFor(env, table, p) });
  }
  for (const v of virtualOperations) {
    const target = `${rdn('cn', v.operation)},${VIRTUAL_OPERATIONS_CONTAINER},${s}`;
    out.push({
      dn: s,
      aci: `(targetattr = "objectclass")(target = "ldap:///${target}")(version 3.0;acl "permission:${v.permission}";allow (write) groupdn = "ldap:///${dnOf.permission(env, v.permission)}";)`,
    });
  }
  out.push(
    { dn: s, aci: `(targetattr != "userPassword || krbPrincipalKey")(version 3.0;acl "Admin can manage any entry";allow (all) ${admins};)` },
    { dn: s, aci: `(targetattr = "userPassword || krbPrincipalKey")(version 3.0;acl "Admins can write passwords";allow (add,delete,write) ${admins};)` },
    { dn: s, aci: `(targetattr = "objectclass || dc || info || nisDomain || associatedDomain")(targetfilter = "(objectclass=domain)")(version 3.0;acl "Anonymous read access to DIT root";allow (read,search,compare) userdn = "ldap:///anyone";)` },
    { dn: accounts, aci: `(targetfilter = "(objectclass=nsContainer)")(targetattr = "cn || objectclass")(version 3.0;acl "Anonymous read access to containers";allow (read,search,compare) userdn = "ldap:///anyone";)` },
    { dn: accounts, aci: `(targetattr = "userPassword || krbPrincipalKey")(version 3.0;acl "Search existence of password and kerberos keys";allow (search) userdn = "ldap:///all";)` },
    { dn: `cn=computers,${accounts}`, aci: `(targetattr = "usercertificate || krblastpwdchange || description || l || nshostlocation || nshardwareplatform || nsosversion")(version 3.0;acl "Hosts can modify their own certs and keytabs";allow (write) userdn = "ldap:///self";)` },
  );
  return out;
}
