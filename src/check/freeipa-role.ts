/**
 * The role line of `novajoin check`: the service's FreeIPA role holds the
 * privilege and its permissions, read from the role where this principal may
 * read roles, else from the principal's own entry.
 */
import type { FreeIpaClient } from '../freeipa/client.js';
import { serviceShow } from '../freeipa/commands.js';
import { roleShow } from '../freeipa/rbac-commands.js';
import { ACIError, FreeIpaError, NotFoundError } from '../freeipa/errors.js';
import { PERMISSIONS, PRIVILEGE, ROLE, SYSTEM_PERMISSIONS } from '../setup/rbac.js';
import { fail, withDeadline, type CheckContext, type CheckLine } from './checks.js';
import { privilegeShow } from './commands.js';

export async function checkRole(ctx: CheckContext, client: FreeIpaClient): Promise<CheckLine> {
  const what = `FreeIPA role "${ROLE}" has privilege "${PRIVILEGE}" with its permissions`;
  const fix = 'run `novajoin ipa-setup` (as a FreeIPA administrator)';
  const principal = ctx.config.freeipa.principal;
  try {
    return await withDeadline(ctx.timeoutMs, async (): Promise<CheckLine> => {
      const deadline = Date.now() + ctx.timeoutMs;
      let role: Record<string, unknown>;
      try {
        role = (await client.call(roleShow(ROLE), { deadline })).result;
      } catch (error) {
        // Reading roles takes FreeIPA's "RBAC Readers"; without it the role
        // looks absent. The principal's own entry still says which roles it is in.
        if (error instanceof NotFoundError || error instanceof ACIError) return membershipOnly(client, principal, deadline, what, fix);
        throw error;
      }
      const privileges = lower(role['memberof_privilege']);
      if (!privileges.includes(PRIVILEGE.toLowerCase())) return { ok: false, what, why: `the role lacks the privilege (has: ${privileges.join(', ') || 'none'})`, fix };
      if (principal && !lower(role['member_service']).includes(principal.toLowerCase())) {
        return { ok: false, what, why: `${principal} is not a member of the role`, fix };
      }
      let privilege: Record<string, unknown>;
      try {
        privilege = (await client.call(privilegeShow(PRIVILEGE), { deadline })).result;
      } catch (error) {
        if (error instanceof NotFoundError || error instanceof ACIError) return { ok: true, what: `FreeIPA role "${ROLE}" has privilege "${PRIVILEGE}" (its permissions are not readable from here)` };
        throw error;
      }
      const held = new Set(lower(privilege['memberof_permission']));
      const missing = [...PERMISSIONS.map((p) => p.name), ...SYSTEM_PERMISSIONS].filter((p) => !held.has(p.toLowerCase()));
      if (missing.length) return { ok: false, what, why: `the privilege lacks ${missing.join(', ')}`, fix };
      return { ok: true, what };
    });
  } catch (error) {
    return fail(what, error, error instanceof FreeIpaError ? fix : 'check that FreeIPA is up');
  }
}

/** When the role cannot be read: the principal's own memberof_role ("System: Read Services" lets anyone read it). */
async function membershipOnly(client: FreeIpaClient, principal: string, deadline: number, what: string, fix: string): Promise<CheckLine> {
  if (!principal) {
    return { ok: false, what, why: `FreeIPA shows no role "${ROLE}" (missing, or not readable by this principal)`, fix: `${fix}; or set [freeipa] principal so that check can read the principal's own roles` };
  }
  let roles: string[];
  try {
    roles = lower((await client.call(serviceShow(principal), { deadline })).result['memberof_role']);
  } catch (error) {
    if (error instanceof NotFoundError) return { ok: false, what, why: `FreeIPA has neither a readable role "${ROLE}" nor the service ${principal}`, fix };
    throw error;
  }
  if (!roles.includes(ROLE.toLowerCase())) {
    return { ok: false, what, why: `FreeIPA shows no role "${ROLE}" and ${principal} is not in one by that name`, fix };
  }
  return missingRights(client, principal, deadline, what);
}

/**
 * What the principal itself holds: raw, its memberOf lists every role,
 * privilege and permission it reaches (389-ds's memberOf plugin follows the
 * nesting), and every authenticated bind may read it. Each missing piece is
 * named with the `ipa` command that adds it.
 */
async function missingRights(client: FreeIpaClient, principal: string, deadline: number, what: string): Promise<CheckLine> {
  const raw = (await client.call(serviceShow(principal, { all: true, raw: true }), { deadline })).result;
  const groups = lower(raw['memberof']).map((dn) => /^cn=([^,]+),cn=(privileges|permissions),cn=pbac,/i.exec(dn)).filter((m) => m !== null);
  const privileges = new Set(groups.filter((m) => m[2] === 'privileges').map((m) => m[1]));
  const permissions = new Set(groups.filter((m) => m[2] === 'permissions').map((m) => m[1]));
  if (!privileges.has(PRIVILEGE.toLowerCase())) {
    return { ok: false, what, why: `${principal} does not hold privilege "${PRIVILEGE}"`, fix: `ipa role-add-privilege "${ROLE}" --privileges="${PRIVILEGE}"` };
  }
  const missing = [...PERMISSIONS.map((p) => p.name), ...SYSTEM_PERMISSIONS].filter((p) => !permissions.has(p.toLowerCase()));
  if (missing.length) {
    return {
      ok: false,
      what,
      why: `${principal} lacks ${missing.map((p) => `"${p}"`).join(', ')}`,
      fix: missing.map((p) => `ipa privilege-add-permission "${PRIVILEGE}" --permissions="${p}"`).join('; '),
    };
  }
  return { ok: true, what: `${what} (as ${principal} holds them)` };
}

function lower(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  return (Array.isArray(value) ? value : [value]).map((v) => String(v).toLowerCase());
}
