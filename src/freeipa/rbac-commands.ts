/**
 * Builders for the FreeIPA RBAC commands (permission_*, privilege_*, role_*):
 * what `ipa-setup` needs to grant the novajoin service principal its rights,
 * and `check` to read them back.
 */
import { command, type CommonOptions, type EntryOutput, type IpaCommand, type MemberOutput, type Options } from './commands.js';

export interface PermissionAddOptions {
  readonly ipapermright?: ReadonlyArray<'read' | 'search' | 'compare' | 'write' | 'add' | 'delete' | 'all'>;
  /** Object type, e.g. host or service. */
  readonly type?: string;
  readonly attrs?: readonly string[];
  readonly ipapermbindruletype?: 'permission' | 'all' | 'anonymous' | 'self';
  readonly ipapermlocation?: string;
  readonly ipapermtarget?: string;
  readonly extratargetfilter?: readonly string[];
  readonly memberof?: readonly string[];
  readonly targetgroup?: string;
}

export function permissionAdd(name: string, options: PermissionAddOptions = {}): IpaCommand<EntryOutput> {
  return command('permission_add', [name], { ...options });
}

export function privilegeAdd(name: string, options: { readonly description?: string } = {}): IpaCommand<EntryOutput> {
  return command('privilege_add', [name], { ...options });
}

/** A missing permission is listed in `failed` with reason "no such entry", not raised. */
export function privilegeAddPermission(name: string, permissions: readonly string[]): IpaCommand<MemberOutput> {
  return command('privilege_add_permission', [name], { permission: [...permissions] });
}

export function roleAdd(name: string, options: { readonly description?: string } = {}): IpaCommand<EntryOutput> {
  return command('role_add', [name], { ...options });
}

export function roleAddPrivilege(name: string, privileges: readonly string[]): IpaCommand<MemberOutput> {
  return command('role_add_privilege', [name], { privilege: [...privileges] });
}

export interface RoleMembers {
  readonly user?: readonly string[];
  readonly group?: readonly string[];
  readonly host?: readonly string[];
  readonly hostgroup?: readonly string[];
  readonly service?: readonly string[];
}

export function roleAddMember(name: string, members: RoleMembers): IpaCommand<MemberOutput> {
  const options: Options = {};
  for (const [key, value] of Object.entries(members)) if (value !== undefined) options[key] = [...(value as readonly string[])];
  return command('role_add_member', [name], options);
}

export function roleShow(name: string, options: CommonOptions = {}): IpaCommand<EntryOutput> {
  return command('role_show', [name], { ...options });
}
