/**
 * FreeIPA's side of novajoin's rights: two permissions of our own (the
 * managedBy writes FreeIPA grants nobody), the privilege "Nova Host
 * Management" holding them and the FreeIPA permissions for hosts, services,
 * DNS and certificate revocation that novajoin's operations need, the role
 * "Nova Host Manager" with that privilege, and
 * the novajoin service principal as the role's member. Idempotent: an object
 * that exists (DuplicateEntry) and a member already there are success, so a
 * second run changes nothing.
 */
import type { FreeIpaClient } from '../freeipa/client.js';
import { serviceAdd, type IpaCommand, type MemberOutput } from '../freeipa/commands.js';
import {
  permissionAdd,
  privilegeAdd,
  privilegeAddPermission,
  roleAdd,
  roleAddMember,
  roleAddPrivilege,
  type PermissionAddOptions,
} from '../freeipa/rbac-commands.js';
import { BINDING_PREFIX } from '../domain/binding.js';
import { DuplicateEntryError, NotFoundError } from '../freeipa/errors.js';

export const PRIVILEGE = 'Nova Host Management';
export const ROLE = 'Nova Host Manager';

/**
 * Permissions of our own, for rights no FreeIPA permission grants. novajoin
 * 1.x also made "Modify host password", "Write host certificate" and "Modify
 * host userclass"; FreeIPA's own System: permissions below grant exactly
 * those attributes, so they are not made any more.
 */
export const PERMISSIONS: readonly { readonly name: string; readonly options: PermissionAddOptions }[] = [
  // service_add_host: a service of one instance managed by several hosts.
  { name: 'Modify service managedBy attribute', options: { ipapermright: ['write'], type: 'service', attrs: ['managedby'] } },
  // host_add_managedby: an instance's host manages its subhosts. Only hosts that carry
  // novajoin's binding in their description, never a host made by hand.
  {
    name: 'Modify managedBy of novajoin hosts',
    options: { ipapermright: ['write'], type: 'host', attrs: ['managedby'], extratargetfilter: [`(description=${BINDING_PREFIX} *)`] },
  },
];

/**
 * FreeIPA's own permissions the privilege also gets, each for a named
 * operation (names match case-insensitively in LDAP). test/ipa-rights.test.ts
 * shows each one is needed.
 */
export const SYSTEM_PERMISSIONS: readonly string[] = [
  'System: Add Hosts', // host_add (with the OTP and managedBy=self in the same add)
  'System: Remove Hosts', // host_del
  'System: Modify Hosts', // host_mod description, userclass
  'System: Manage Host Keytab', // host_disable on rebuild
  'System: Manage Host Enrollment Password', // host_mod userpassword: a new OTP on rebuild
  'System: Manage Host Certificates', // host_disable clears usercertificate when FreeIPA has a CA
  'System: Add Services', // service_add
  'System: Remove Services', // service_del, and host_del of a host with services
  'System: Manage Service Keytab', // host_disable disables the host's services
  'System: Read DNS Entries', // every dnsrecord_* reads the zone first
  'System: Add DNS Entries', // dnsrecord_add of a new name
  'System: Remove DNS Entries', // dnsrecord_del of a name's last record
  'System: Update DNS Entries', // dnsrecord_add/del on an existing name
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
