/**
 * Membership edits as baseldap's LDAPAddMember / LDAPRemoveMember do them:
 * every name is tried, failures are collected as [name, reason] pairs under
 * their member type (never thrown), and `completed` counts the successes.
 */
import { FreeIpaError, NotFoundError } from '../freeipa/errors.js';
import type { CommandContext } from './command.js';
import { OBJECTS, memberDn, pkeyFromDn, type ObjectDef } from './objects.js';
import type { ObjectType } from './layout.js';
import { NoSuchAttributeError, ValueExistsError } from './store.js';

export type Failed = Record<string, Array<[string, string]>>;

const OBJECT_BY_TYPE: Partial<Record<ObjectType, ObjectDef>> = OBJECTS;

function reason(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Adds members of each type to `attr` of `targetDn`. `failed` gets a key for every type, even when empty. */
export async function addMembers(
  ctx: CommandContext,
  targetDn: string,
  attr: string,
  requested: ReadonlyArray<{ type: ObjectType | 'idoverrideuser'; names: readonly string[] }>,
  opts: { allowSame?: boolean } = {},
): Promise<{ completed: number; failed: Failed }> {
  const failed: Failed = {};
  let completed = 0;
  for (const { type, names } of requested) {
    failed[type] = [];
    for (const name of names) {
      if (!name) continue;
      let dn: string;
      try {
        dn = await memberDn(ctx, type, name);
      } catch (err) {
        if (!(err instanceof FreeIpaError)) throw err;
        failed[type].push([name, reason(err)]);
        continue;
      }
      const key = await pkeyFromDn(ctx, (OBJECT_BY_TYPE as Record<string, ObjectDef | undefined>)[type] ?? null, dn);
      if (!(await ctx.store.get(dn))) {
        failed[type].push([key, 'no such entry']);
        continue;
      }
      if (!opts.allowSame && dn.toLowerCase() === targetDn.toLowerCase()) {
        failed[type].push([key, 'A group may not be added as a member of itself']);
        continue;
      }
      try {
        await ctx.store.modify(targetDn, [{ op: 'add', attr, values: [dn] }]);
        completed++;
      } catch (err) {
        if (err instanceof ValueExistsError) failed[type].push([key, 'This entry is already a member']);
        else if (err instanceof NotFoundError) failed[type].push([key, 'no such entry']);
        else throw err;
      }
    }
  }
  return { completed, failed };
}

export async function removeMembers(
  ctx: CommandContext,
  targetDn: string,
  attr: string,
  requested: ReadonlyArray<{ type: ObjectType | 'idoverrideuser'; names: readonly string[] }>,
): Promise<{ completed: number; failed: Failed }> {
  const failed: Failed = {};
  let completed = 0;
  for (const { type, names } of requested) {
    failed[type] = [];
    for (const name of names) {
      if (!name) continue;
      let dn: string;
      try {
        dn = await memberDn(ctx, type, name);
      } catch (err) {
        if (!(err instanceof FreeIpaError)) throw err;
        failed[type].push([name, reason(err)]);
        continue;
      }
      const key = await pkeyFromDn(ctx, (OBJECT_BY_TYPE as Record<string, ObjectDef | undefined>)[type] ?? null, dn);
      try {
        await ctx.store.modify(targetDn, [{ op: 'delete', attr, values: [dn] }]);
        completed++;
      } catch (err) {
        if (err instanceof NoSuchAttributeError) failed[type].push([key, 'This entry is not a member']);
        else if (err instanceof NotFoundError) failed[type].push([key, 'no such entry']);
        else throw err;
      }
    }
  }
  return { completed, failed };
}
