/**
 * Membership edits as baseldap's LDAPAddMember / LDAPRemoveMember do them:
 * every name is tried, failures are collected as [name, reason] pairs under
 * their member type (never thrown), and `completed` counts the successes.
 */
import { ACIError, FreeIpaError, NotFoundError } from '../freeipa/errors.js';
import type { CommandContext } from './command.js';
import { OBJECTS, memberDn, pkeyFromDn, type ObjectDef } from './objects.js';
import type { ObjectType } from './layout.js';
import { NoSuchAttributeError, ValueExistsError } from './store.js';

export type Failed = Record<string, Array<[string, string]>>;

const OBJECT_BY_TYPE: Partial<Record<ObjectType, ObjectDef>> = OBJECTS;

function reason(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

type Requested = ReadonlyArray<{ type: ObjectType | 'idoverrideuser'; names: readonly string[] }>;

/**
 * Resolves each requested name to its DN and primary key and hands it to
 * `apply`, which returns a failure reason or null. A name that does not
 * resolve is a failure too. `failed` gets a key for every type, even when empty.
 */
async function forEachMember(
  ctx: CommandContext,
  requested: Requested,
  apply: (member: { dn: string; key: string }) => Promise<string | null>,
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
      const failure = await apply({ dn, key });
      if (failure === null) completed++;
      else failed[type].push([key, failure]);
    }
  }
  return { completed, failed };
}

/** Adds members of each type to `attr` of `targetDn`. */
export function addMembers(
  ctx: CommandContext,
  targetDn: string,
  attr: string,
  requested: Requested,
  opts: { allowSame?: boolean } = {},
): Promise<{ completed: number; failed: Failed }> {
  return forEachMember(ctx, requested, async ({ dn }) => {
    if (!(await ctx.store.get(dn))) return 'no such entry';
    if (!opts.allowSame && dn.toLowerCase() === targetDn.toLowerCase()) return 'A group may not be added as a member of itself';
    try {
      await ctx.store.modify(targetDn, [{ op: 'add', attr, values: [dn] }]);
      return null;
    } catch (err) {
      if (err instanceof ValueExistsError) return 'This entry is already a member';
      if (err instanceof NotFoundError) return 'no such entry';
      // baseldap puts unicode(ACIError) in `failed`; the command itself succeeds.
      if (err instanceof ACIError) return err.message;
      throw err;
    }
  });
}

export function removeMembers(ctx: CommandContext, targetDn: string, attr: string, requested: Requested): Promise<{ completed: number; failed: Failed }> {
  return forEachMember(ctx, requested, async ({ dn }) => {
    try {
      await ctx.store.modify(targetDn, [{ op: 'delete', attr, values: [dn] }]);
      return null;
    } catch (err) {
      if (err instanceof NoSuchAttributeError) return 'This entry is not a member';
      if (err instanceof NotFoundError) return 'no such entry';
      if (err instanceof ACIError) return err.message;
      throw err;
    }
  });
}
