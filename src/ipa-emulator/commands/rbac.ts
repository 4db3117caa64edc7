/**
 * The RBAC commands novajoin's setup uses (permission.py, privilege.py,
 * role.py): add (DuplicateEntry on a second add), show, del, and the
 * membership commands. privilege_add_permission and role_add_privilege are
 * "reverse" member commands (LDAPAddReverseMember): they write the
 * privilege's DN into the permission (or the role's into the privilege), and
 * a missing target is a `failed` item '<type> not found', not an error.
 */
import { DuplicateEntryError, FreeIpaError, NotFoundError } from '../../freeipa/errors.js';
import { applyAttrOptions, attrOptionNames } from '../attr-options.js';
import { defineCommands, type CommandContext } from '../command.js';
import { containers, dnOf } from '../layout.js';
import { aciFor } from '../permissions/aci.js';
import type { BindType, Right } from '../permissions/types.js';
import { addMembers, removeMembers, type Failed } from '../members.js';
import { deleteEntry, entryOutput, notFound, OBJECTS, pkeyList, type ObjectDef } from '../objects.js';
import { createOptions, get, p, retrieveOptions, validationError, type Params } from '../params.js';
import { first, type IpaEntry } from '../store.js';
import { hasCapability } from '../wire.js';

const RIGHTS = ['read', 'search', 'compare', 'write', 'add', 'delete', 'all'];
const BIND_TYPES = ['permission', 'all', 'anonymous', 'self'];
const ROLE_MEMBER_TYPES = ['user', 'group', 'host', 'hostgroup', 'service', 'idoverrideuser'] as const;

/** Object types a permission may target (`type` option) and the filter FreeIPA derives from them. */
const PERMISSION_TYPES: Record<string, { container: (c: ReturnType<typeof containers>) => string; objectclass: string }> = {
  host: { container: (c) => c.hosts, objectclass: 'ipahost' },
  service: { container: (c) => c.services, objectclass: 'ipaservice' },
  user: { container: (c) => c.users, objectclass: 'posixaccount' },
  group: { container: (c) => c.groups, objectclass: 'ipausergroup' },
  hostgroup: { container: (c) => c.hostgroups, objectclass: 'ipahostgroup' },
  dnsrecord: { container: (c) => c.dns, objectclass: 'idnsrecord' },
  role: { container: (c) => c.roles, objectclass: 'groupofnames' },
};

const nameArg = p.str('cn', { cli: 'name', required: true });

function dnFor(type: 'role' | 'privilege' | 'permission', ctx: CommandContext, cn: string): string {
  return dnOf[type](ctx.env, cn);
}

function outputOpts(params: Params) {
  return { all: get.flag(params, 'all'), raw: get.flag(params, 'raw'), noMembers: get.flag(params, 'no_members') };
}

/** permission.py postprocess_result: `attrs` and `type` as the API shows them. */
function permissionExtras(ctx: CommandContext, entry: IpaEntry, out: Record<string, unknown>, raw: boolean): Record<string, unknown> {
  if (raw) return out;
  const included = entry.attrs.ipapermincludedattr ?? [];
  const defaults = entry.attrs.ipapermdefaultattr ?? [];
  const excluded = new Set((entry.attrs.ipapermexcludedattr ?? []).map((a) => a.toLowerCase()));
  const attrs = [...new Set([...defaults, ...included])].filter((a) => !excluded.has(a.toLowerCase()));
  if (attrs.length) out.attrs = attrs;
  const location = first(entry, 'ipapermlocation')?.toLowerCase();
  const filters = (entry.attrs.ipapermtargetfilter ?? []).map((x) => x.toLowerCase());
  const c = containers(ctx.env);
  for (const [type, def] of Object.entries(PERMISSION_TYPES)) {
    if (location === def.container(c).toLowerCase() && filters.includes(`(objectclass=${def.objectclass})`)) out.type = [type];
  }
  return out;
}

async function show(ctx: CommandContext, obj: ObjectDef & { type: 'role' | 'privilege' | 'permission' }, cn: string, params: Params) {
  const entry = await ctx.store.get(dnFor(obj.type, ctx, cn));
  if (!entry) throw notFound(obj, cn);
  const out = await entryOutput(ctx, obj, entry, outputOpts(params));
  return obj.type === 'permission' ? permissionExtras(ctx, entry, out, get.flag(params, 'raw')) : out;
}

async function addEntry(ctx: CommandContext, obj: ObjectDef & { type: 'role' | 'privilege' | 'permission' }, cn: string, attrs: Record<string, string[]>, params: Params, extra: string[]) {
  const dn = dnFor(obj.type, ctx, cn);
  const planned: Record<string, string[] | null> = {};
  applyAttrOptions(params, planned, null);
  for (const [k, v] of Object.entries(planned)) if (v?.length) attrs[k] = v;
  try {
    await ctx.store.add({ dn, attrs });
  } catch (err) {
    if (err instanceof DuplicateEntryError) throw new DuplicateEntryError(`${obj.label} with name "${cn}" already exists`);
    throw err;
  }
  const entry = (await ctx.store.get(dn)) as IpaEntry;
  const out = await entryOutput(ctx, obj, entry, { ...outputOpts(params), extraAttrs: [...extra, ...attrOptionNames(params), 'objectclass'] });
  const result = obj.type === 'permission' ? permissionExtras(ctx, entry, out, get.flag(params, 'raw')) : out;
  return { result, value: cn, summary: `Added ${obj.label} "${cn}"` };
}

async function permissionAdd(ctx: CommandContext, params: Params) {
  const cn = String(params.cn);
  const attrs: Record<string, string[]> = {
    objectclass: ['top', 'groupofnames', 'ipapermission', 'ipapermissionv2'],
    cn: [cn],
    ipapermissiontype: ['SYSTEM', 'V2'],
    ipapermbindruletype: [get.str(params, 'ipapermbindruletype') ?? 'permission'],
  };
  const rights = get.strs(params, 'ipapermright') ?? get.strs(params, 'permissions');
  if (rights) attrs.ipapermright = rights.map((r) => r.toLowerCase());
  const included = get.strs(params, 'attrs');
  if (included) attrs.ipapermincludedattr = included.map((a) => a.toLowerCase());
  const type = get.str(params, 'type');
  const c = containers(ctx.env);
  if (type !== undefined) {
    const def = PERMISSION_TYPES[type.toLowerCase()];
    if (!def) throw validationError('type', `"${type}" is not an object type`);
    attrs.ipapermlocation = [def.container(c)];
    attrs.ipapermtargetfilter = [`(objectclass=${def.objectclass})`];
  }
  const location = get.str(params, 'ipapermlocation');
  if (location !== undefined) attrs.ipapermlocation = [location];
  if (!attrs.ipapermlocation) attrs.ipapermlocation = [ctx.env.suffix];
  const target = get.str(params, 'ipapermtarget');
  if (target !== undefined) attrs.ipapermtarget = [target];
  const extra = get.strs(params, 'extratargetfilter');
  if (extra) attrs.ipapermtargetfilter = [...(attrs.ipapermtargetfilter ?? []), ...extra];
  const memberof = get.strs(params, 'memberof');
  if (memberof) attrs.ipapermtargetfilter = [...(attrs.ipapermtargetfilter ?? []), ...memberof.map((g) => `(memberOf=${dnOf.group(ctx.env, g)})`)];
  const added = await addEntry(ctx, OBJECTS.permission, cn, attrs, params, []);
  // permission.py add_aci: the permission's ACI goes onto its location entry, so that the directory enforces it.
  const aciEntry = attrs.ipapermlocation?.[0] ?? ctx.env.suffix;
  const table = { location: '', permissions: [], ...(attrs.ipapermtarget ? { target: attrs.ipapermtarget[0] as string } : {}) };
  const aci = aciFor({ ...ctx.env, suffix: '' }, table, {
    name: cn,
    rights: (attrs.ipapermright ?? []) as Right[],
    bind: (attrs.ipapermbindruletype?.[0] ?? 'permission') as BindType,
    ...(included ? { attrs: included.map((a) => a.toLowerCase()) } : {}),
    ...(attrs.ipapermtargetfilter?.length ? { extraFilter: attrs.ipapermtargetfilter.length === 1 ? attrs.ipapermtargetfilter[0] as string : `(&${[...attrs.ipapermtargetfilter].sort().join('')})` } : {}),
  }, dnOf.permission(ctx.env, cn));
  await ctx.store.modify(aciEntry, [{ op: 'add', attr: 'aci', values: [aci] }]);
  return added;
}

async function privilegeAdd(ctx: CommandContext, params: Params) {
  const cn = String(params.cn);
  const attrs: Record<string, string[]> = { objectclass: ['top', 'groupofnames', 'nestedgroup'], cn: [cn] };
  const description = get.str(params, 'description');
  if (description !== undefined) attrs.description = [description];
  return addEntry(ctx, OBJECTS.privilege, cn, attrs, params, description !== undefined ? ['description'] : []);
}

async function roleAdd(ctx: CommandContext, params: Params) {
  const cn = String(params.cn);
  const attrs: Record<string, string[]> = { objectclass: ['top', 'groupofnames', 'nestedgroup'], cn: [cn] };
  const description = get.str(params, 'description');
  if (description !== undefined) attrs.description = [description];
  return addEntry(ctx, OBJECTS.role, cn, attrs, params, description !== undefined ? ['description'] : []);
}

function delCommand(obj: ObjectDef & { type: 'role' | 'privilege' | 'permission' }) {
  return async (ctx: CommandContext, params: Params) => {
    const deleted: string[] = [];
    const failed: string[] = [];
    for (const cn of get.strs(params, 'cn') ?? []) {
      try {
        try {
          await deleteEntry(ctx, dnFor(obj.type, ctx, cn));
        } catch (err) {
          if (err instanceof NotFoundError) throw notFound(obj, cn);
          throw err;
        }
        deleted.push(cn);
      } catch (err) {
        if (!get.flag(params, 'continue') || !(err instanceof FreeIpaError)) throw err;
        failed.push(cn);
      }
    }
    const capable = hasCapability(ctx.version, 'primary_key_types');
    return { result: { failed: pkeyList(failed, capable) }, value: pkeyList(deleted, capable), summary: `Deleted ${obj.label} "${deleted.join(',')}"` };
  };
}

/**
 * LDAPAddReverseMember: for each name, `<member type>_add_member(name,
 * <this type>=cn)`; a missing target shows as '<type> not found'.
 */
async function addReverse(
  ctx: CommandContext,
  params: Params,
  self: ObjectDef & { type: 'role' | 'privilege' },
  target: ObjectDef & { type: 'privilege' | 'permission' },
  option: string,
) {
  const cn = String(params.cn);
  const selfDn = dnFor(self.type, ctx, cn);
  if (!(await ctx.store.get(selfDn))) throw notFound(self, cn);
  const failed: Array<[string, string]> = [];
  let completed = 0;
  for (const name of get.strs(params, option) ?? []) {
    const targetDn = dnFor(target.type, ctx, name);
    const entry = await ctx.store.get(targetDn);
    if (target.type === 'permission' && entry && first(entry, 'ipapermbindruletype') !== 'permission' && first(entry, 'ipapermbindruletype') !== undefined) {
      const bind = first(entry, 'ipapermbindruletype') as string;
      const err = validationError('permission', `cannot add permission "${first(entry, 'cn') ?? name}" with bindtype "${bind}" to a privilege`);
      failed.push([name, err.message]);
      continue;
    }
    if (!entry) {
      failed.push([name, `${target.label} not found`]);
      continue;
    }
    const res = await addMembers(ctx, targetDn, 'member', [{ type: self.type, names: [cn] }]);
    if (res.completed === 1) completed++;
    else failed.push([name, res.failed[self.type]?.[0]?.[1] ?? 'no such entry']);
  }
  const entry = (await ctx.store.get(selfDn)) as IpaEntry;
  const result = await entryOutput(ctx, self, entry, outputOpts(params));
  return { completed, failed: { member: { [option]: failed } }, result };
}

async function roleMembers(ctx: CommandContext, params: Params, remove: boolean) {
  const cn = String(params.cn);
  const dn = dnOf.role(ctx.env, cn);
  const requested = ROLE_MEMBER_TYPES.map((type) => ({ type, names: get.strs(params, type) ?? [] }));
  const { completed, failed } = remove ? await removeMembers(ctx, dn, 'member', requested) : await addMembers(ctx, dn, 'member', requested);
  const entry = await ctx.store.get(dn);
  if (!entry) throw notFound(OBJECTS.role, cn);
  const result = await entryOutput(ctx, OBJECTS.role, entry, outputOpts(params));
  return { completed, failed: { member: failed as Failed }, result };
}

const memberOutputOptions = [p.flag('all'), p.flag('raw'), p.flag('no_members')];

export const rbacCommands = defineCommands(
  {
    name: 'permission_add',
    write: true,
    args: [nameArg],
    options: [
      p.strs('ipapermright', { cli: 'right', values: RIGHTS }),
      p.strs('permissions', { values: RIGHTS }),
      p.strs('attrs'),
      p.str('ipapermbindruletype', { cli: 'bindtype', values: BIND_TYPES }),
      p.str('ipapermlocation', { cli: 'subtree' }),
      p.strs('extratargetfilter', { cli: 'filter' }),
      p.strs('ipapermtargetfilter', { cli: 'rawfilter' }),
      p.str('ipapermtarget', { cli: 'target' }),
      p.str('ipapermtargetto', { cli: 'targetto' }),
      p.str('ipapermtargetfrom', { cli: 'targetfrom' }),
      p.strs('memberof'),
      p.str('targetgroup'),
      p.str('type'),
      ...createOptions(true),
    ],
    run: permissionAdd,
  },
  { name: 'permission_show', write: false, args: [nameArg], options: retrieveOptions(true), run: async (ctx, params) => ({ result: await show(ctx, OBJECTS.permission, String(params.cn), params), value: String(params.cn), summary: null }) },
  { name: 'permission_del', write: true, args: [{ ...nameArg, multi: true }], options: [p.flag('continue'), p.flag('force')], run: delCommand(OBJECTS.permission) },
  { name: 'privilege_add', write: true, args: [nameArg], options: [p.str('description', { cli: 'desc' }), ...createOptions(true)], run: privilegeAdd },
  { name: 'privilege_show', write: false, args: [nameArg], options: retrieveOptions(true), run: async (ctx, params) => ({ result: await show(ctx, OBJECTS.privilege, String(params.cn), params), value: String(params.cn), summary: null }) },
  { name: 'privilege_del', write: true, args: [{ ...nameArg, multi: true }], options: [p.flag('continue')], run: delCommand(OBJECTS.privilege) },
  {
    name: 'privilege_add_permission',
    write: true,
    args: [nameArg],
    options: [p.strs('permission'), ...memberOutputOptions],
    run: (ctx, params) => addReverse(ctx, params, OBJECTS.privilege, OBJECTS.permission, 'permission'),
  },
  { name: 'role_add', write: true, args: [nameArg], options: [p.str('description', { cli: 'desc' }), ...createOptions(true)], run: roleAdd },
  { name: 'role_show', write: false, args: [nameArg], options: retrieveOptions(true), run: async (ctx, params) => ({ result: await show(ctx, OBJECTS.role, String(params.cn), params), value: String(params.cn), summary: null }) },
  { name: 'role_del', write: true, args: [{ ...nameArg, multi: true }], options: [p.flag('continue')], run: delCommand(OBJECTS.role) },
  {
    name: 'role_add_privilege',
    write: true,
    args: [nameArg],
    options: [p.strs('privilege'), ...memberOutputOptions],
    run: (ctx, params) => addReverse(ctx, params, OBJECTS.role, OBJECTS.privilege, 'privilege'),
  },
  {
    name: 'role_add_member',
    write: true,
    args: [nameArg],
    options: [...ROLE_MEMBER_TYPES.map((t) => p.strs(t)), ...memberOutputOptions],
    run: (ctx, params) => roleMembers(ctx, params, false),
  },
  {
    name: 'role_remove_member',
    write: true,
    args: [nameArg],
    options: [...ROLE_MEMBER_TYPES.map((t) => p.strs(t)), ...memberOutputOptions],
    run: (ctx, params) => roleMembers(ctx, params, true),
  },
);
