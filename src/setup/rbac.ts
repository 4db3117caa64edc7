/**
 * FreeIPA's side of novajoin's rights, as novajoin-ipa-setup made them
 * (freeipa-api.md 3.6): four permissions of our own, the privilege "Nova
 * Host Management" holding them and FreeIPA's system permissions for hosts,
 * services and DNS, the role "Nova Host Manager" with that privilege, and
 * the novajoin service principal as the role's member. Idempotent: an object
 * that exists (DuplicateEntry) and a member already there are success, so a
 * second run changes nothing.
 */
import type { FreeIpaClient } from '../freeipa/client.js';
import {
  permissionAdd,
  privilegeAdd,
  privilegeAddPermission,
  roleAdd,
  roleAddMember,
  roleAddPrivilege,
  serviceAdd,
  type IpaCommand,
  type MemberOutput,
  type PermissionAddOptions,
} from '../freeipa/commands.js';
import { BINDING_PREFIX } from '../domain/binding.js';
import { DuplicateEntryError, NotFoundError } from '../freeipa/errors.js';

export const PRIVILEGE = 'Nova Host Management';
export const ROLE = 'Nova Host Manager';

export const PERMISSIONS: readonly { readonly name: string; readonly options: PermissionAddOptions }[] = [
  { name: 'Modify host password', options: { ipapermright: ['write'], type: 'host', attrs: ['userpassword'] } },
  { name: 'Write host certificate', options: { ipapermright: ['write'], type: 'host', attrs: ['usercertificate'] } },
  { name: 'Modify host userclass', options: { ipapermright: ['write'], type: 'host', attrs: ['userclass'] } },
  { name: 'Modify service managedBy attribute', options: { ipapermright: ['write'], type: 'service', attrs: ['managedby'] } },
  // No FreeIPA permission grants writing a host's managedBy (host_add_managedby for subhosts).
  // Only hosts that carry novajoin's binding in their description: never a host made by hand.
  {
    name: 'Modify managedBy of novajoin hosts',
    options: { ipapermright: ['write'], type: 'host', attrs: ['managedby'], extratargetfilter: [`(description=${BINDING_PREFIX} *)`] },
  },
];

/** FreeIPA's own permissions the privilege also gets (names match case-insensitively in LDAP). */
export const SYSTEM_PERMISSIONS: readonly string[] = [
  'System: Add Hosts',
  'System: Remove Hosts',
  'System: Modify Hosts',
  'System: Add krbPrincipalName to a Host',
  'System: Enroll a Host',
  'System: Manage Host Keytab',
  'System: Manage Host Enrollment Password',
  'System: Add Services',
  'System: Remove Services',
  'System: Modify Services',
  'System: Manage Service Keytab',
  'System: Manage Host Certificates',
  'System: read dns entries',
  'System: add dns entries',
  'System: remove dns entries',
  'System: update dns entries',
  // host_del, host_disable, service_del and service_disable revoke certificates when FreeIPA has a CA:
  // cert_revoke reads the certificate first (cert_show), so both virtual operations are needed.
  'Retrieve Certificates from the CA',
  'Revoke Certificate',
];

export type StepOutcome = 'created' | 'exists';

export interface Step {
  readonly what: string;
  readonly outcome: StepOutcome;
}

/** A membership FreeIPA refused for another reason than "already a member". */
export class MembershipRefused extends Error {
  constructor(what: string, readonly refusals: readonly string[]) {
    super(`${what}: FreeIPA refused ${refusals.join('; ')}`);
    this.name = 'MembershipRefused';
  }
}

export interface SetupContext {
  readonly client: FreeIpaClient;
  /** The novajoin service principal, nova/<fqdn>@REALM. */
  readonly principal: string;
  readonly onStep?: (step: Step) => void;
}

export async function ensureRbac(ctx: SetupContext): Promise<Step[]> {
  const steps: Step[] = [];
  const record = (step: Step) => {
    steps.push(step);
    ctx.onStep?.(step);
  };
  for (const permission of PERMISSIONS) {
    record({ what: `permission "${permission.name}"`, outcome: await add(ctx.client, permissionAdd(permission.name, permission.options)) });
  }
  record({ what: `privilege "${PRIVILEGE}"`, outcome: await add(ctx.client, privilegeAdd(PRIVILEGE, { description: 'Nova host management (novajoin)' })) });
  const permissions = [...PERMISSIONS.map((p) => p.name), ...SYSTEM_PERMISSIONS];
  record({ what: `privilege "${PRIVILEGE}" holds ${permissions.length} permissions`, outcome: await members(ctx.client, privilegeAddPermission(PRIVILEGE, permissions), `privilege ${PRIVILEGE}`) });
  record({ what: `role "${ROLE}"`, outcome: await add(ctx.client, roleAdd(ROLE, { description: 'novajoin: enrolls and removes Nova instances' })) });
  record({ what: `role "${ROLE}" has privilege "${PRIVILEGE}"`, outcome: await members(ctx.client, roleAddPrivilege(ROLE, [PRIVILEGE]), `role ${ROLE}`) });
  record({ what: `service ${ctx.principal}`, outcome: await addService(ctx.client, ctx.principal) });
  record({ what: `role "${ROLE}" has member ${ctx.principal}`, outcome: await members(ctx.client, roleAddMember(ROLE, { service: [ctx.principal] }), `role ${ROLE}`) });
  return steps;
}

async function add(client: FreeIpaClient, command: IpaCommand<unknown>): Promise<StepOutcome> {
  try {
    await client.call(command);
    return 'created';
  } catch (error) {
    if (error instanceof DuplicateEntryError) return 'exists';
    throw error;
  }
}

async function addService(client: FreeIpaClient, principal: string): Promise<StepOutcome> {
  try {
    // force: the DNS check of the host is FreeIPA's business, not ours (novajoin did the same).
    return await add(client, serviceAdd(principal, { force: true }));
  } catch (error) {
    if (error instanceof NotFoundError) {
      throw new Error(`${(error as Error).message} Enroll this machine first (ipa-client-install), or name another host with --hostname`, { cause: error });
    }
    throw error;
  }
}

/** *_add_<member> reports refusals in `failed`; "already a member" means the state is as wanted. */
async function members(client: FreeIpaClient, command: IpaCommand<MemberOutput>, what: string): Promise<StepOutcome> {
  const output = await client.call(command);
  const refusals: string[] = [];
  for (const byType of Object.values(output.failed ?? {})) {
    for (const [type, list] of Object.entries(byType ?? {})) {
      for (const pair of (list ?? []) as unknown[]) {
        const [name, reason] = Array.isArray(pair) ? pair.map(String) : [String(pair), ''];
        if (!/already a member/i.test(reason ?? '')) refusals.push(`${type} ${name}: ${reason || 'refused'}`);
      }
    }
  }
  if (refusals.length) throw new MembershipRefused(what, refusals);
  return output.completed > 0 ? 'created' : 'exists';
}
