/**
 * The shape of FreeIPA's managed permissions (ipaserver/plugins/*.py
 * `managed_permissions`): each object keeps a table of them beside its
 * commands, and one generator (aci.ts) turns every table into the
 * permission entries and the ACIs 389-ds evaluates. A new right is a row.
 */
export type Right = 'read' | 'search' | 'compare' | 'write' | 'add' | 'delete';
export type BindType = 'permission' | 'all' | 'anonymous' | 'self';

export interface ManagedPermission {
  readonly name: string;
  readonly rights: readonly Right[];
  /** Default `permission`: members of the permission entry (role -> privilege -> permission). */
  readonly bind?: BindType;
  /** ipapermdefaultattr; none for add and delete rights. */
  readonly attrs?: readonly string[];
  /** ANDed with the table's object class filter. */
  readonly extraFilter?: string;
  /** Privileges the permission belongs to on a fresh install. */
  readonly privileges?: readonly string[];
}

/** Where a table's permissions apply: a container (relative to the suffix) and FreeIPA's object class filter. */
export interface PermissionTable {
  /** e.g. `cn=computers,cn=accounts`; joined with the suffix. */
  readonly location: string;
  /** `(objectclass=ipahost)`; absent for a non-object table (DNS entries). */
  readonly objectFilter?: string;
  /** `target` of a non-object permission, relative to the suffix (e.g. `idnsname=*,cn=dns`). */
  readonly target?: string;
  readonly permissions: readonly ManagedPermission[];
}
