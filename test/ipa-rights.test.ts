/**
 * The rights of the role `novajoin ipa-setup` creates, decided by 389-ds
 * from FreeIPA's ACIs: for every permission the role holds, a named operation
 * novajoin performs succeeds as the novajoin principal with the role, and
 * fails the way FreeIPA fails (ACIError 2100 with 389-ds's text, the reason
 * in `failed`, or NotFound for what cannot be read) once that permission
 * leaves the privilege. A permission no row needs has no place in the role.
 */
import test from 'ava';
import { randomUUID } from 'node:crypto';
import { PRIVILEGE, PERMISSIONS, SYSTEM_PERMISSIONS } from '../src/setup/rbac.js';
import type { RpcResponse } from '../src/ipa-emulator/engine.js';
import { startIpaStack, type IpaStack } from './support/ipa-stack.js';

let stack: IpaStack;

test.before(async () => {
  stack = await startIpaStack();
});

test.after.always(async () => {
  await stack?.stop();
});

const suffix = () => stack.suffix;
const binding = () => `novajoin:v1 instance=${randomUUID()} project=p1 gen=1 issued=1700000000`;
const admin = (method: string, args: unknown[] = [], options: Record<string, unknown> = {}) => stack.emulator.rpc(method, args, options);
const nova = (method: string, args: unknown[] = [], options: Record<string, unknown> = {}) => stack.emulator.rpc(method, args, options, stack.clientPrincipal);

async function must(p: Promise<RpcResponse>): Promise<void> {
  const r = await p;
  if (r.error) throw new Error(r.error.message);
}

/** What novajoin would see: 'ok', the error's name and text, or the first `failed` reason. */
function outcome(r: RpcResponse): string {
  if (r.error) return `${r.error.name}: ${r.error.message}`;
  const failed = (r.result as { failed?: Record<string, Record<string, Array<[string, string]>>> }).failed;
  for (const byType of Object.values(failed ?? {})) for (const list of Object.values(byType)) if (list[0]) return `failed: ${list[0][1]}`;
  return 'ok';
}

/** The effective write right as 389-ds answers it for the novajoin principal (what FreeIPA's virtual operations ask). */
async function novaCanWrite(dn: string, attr: string): Promise<string> {
  const principalDn = `krbprincipalname=${stack.clientPrincipal},cn=services,cn=accounts,${suffix()}`;
  return (await stack.emulator.store.actingAs(principalDn).canWrite(dn, attr)) ? 'ok' : `no write on ${attr}`;
}

async function host(tag: string, opts: Record<string, unknown> = {}): Promise<string> {
  const fqdn = `${tag}-${randomUUID().slice(0, 8)}.example.test`;
  await must(admin('host_add', [fqdn], { force: true, description: binding(), ...opts }));
  return fqdn;
}

interface Row {
  readonly permission: string;
  /** novajoin's operation that needs the permission, set up afresh each time. */
  readonly act: () => Promise<string>;
  readonly denied: RegExp;
}

const rows: Row[] = [
  { permission: 'System: Add Hosts', act: async () => outcome(await nova('host_add', [`new-${randomUUID().slice(0, 8)}.example.test`], { force: true, userpassword: 'Otp-1', description: binding() })), denied: /^ACIError: Insufficient access: Insufficient 'add' privilege to add the entry 'fqdn=/ },
  { permission: 'System: Remove Hosts', act: async () => outcome(await nova('host_del', [await host('del')], { updatedns: false })), denied: /^ACIError: Insufficient access: Insufficient 'delete' privilege to delete the entry 'fqdn=/ },
  { permission: 'System: Modify Hosts', act: async () => outcome(await nova('host_mod', [await host('mod')], { description: binding(), userclass: ['novajoin'] })), denied: /^ACIError: Insufficient access: Insufficient 'write' privilege to the 'description' attribute/i },
  { permission: 'System: Manage Host Enrollment Password', act: async () => outcome(await nova('host_mod', [await host('otp', { userpassword: 'Otp-0' })], { userpassword: 'Otp-2' })), denied: /^ACIError: Insufficient access: Insufficient 'write' privilege to the 'userPassword' attribute/i },
  {
    permission: 'System: Manage Host Keytab',
    act: async () => {
      const fqdn = await host('keytab', { userpassword: 'Otp-k' });
      await stack.emulator.simulateEnrollment(fqdn, 'Otp-k');
      return outcome(await nova('host_disable', [fqdn]));
    },
    denied: /^ACIError: Insufficient access: Insufficient 'write' privilege to the 'krb(PrincipalKey|LastPwdChange)' attribute/i,
  },
  { permission: 'System: Manage Host Certificates', act: async () => novaCanWrite(`fqdn=${await host('cert')},cn=computers,cn=accounts,${suffix()}`, 'usercertificate'), denied: /^no write on usercertificate$/ },
  { permission: 'System: Add Services', act: async () => outcome(await nova('service_add', [`HTTP/${await host('svc')}`], { force: true })), denied: /^ACIError: Insufficient access: Insufficient 'add' privilege to add the entry 'krbprincipalname=/ },
  {
    permission: 'System: Remove Services',
    act: async () => {
      const principal = `HTTP/${await host('svcdel')}`;
      await must(admin('service_add', [principal], { force: true }));
      return outcome(await nova('service_del', [principal]));
    },
    denied: /^ACIError: Insufficient access: Insufficient 'delete' privilege to delete the entry 'krbprincipalname=/,
  },
  {
    permission: 'System: Manage Service Keytab',
    act: async () => {
      const principal = `HTTP/${await host('svckey')}@${stack.realm}`;
      await must(admin('service_add', [principal], { force: true }));
      return novaCanWrite(`krbprincipalname=${principal},cn=services,cn=accounts,${suffix()}`, 'krbprincipalkey');
    },
    denied: /^no write on krbprincipalkey$/,
  },
  { permission: 'System: Read DNS Entries', act: async () => outcome(await nova('dnsrecord_add', ['example.test.', `r-${randomUUID().slice(0, 8)}`], { arecord: ['192.0.2.10'] })), denied: /^NotFound: example\.test\.: DNS zone not found$/ },
  { permission: 'System: Add DNS Entries', act: async () => outcome(await nova('dnsrecord_add', ['example.test.', `a-${randomUUID().slice(0, 8)}`], { arecord: ['192.0.2.11'] })), denied: /^ACIError: Insufficient access: Insufficient 'add' privilege to add the entry 'idnsname=/ },
  {
    permission: 'System: Update DNS Entries',
    act: async () => {
      const name = `u-${randomUUID().slice(0, 8)}`;
      await must(admin('dnsrecord_add', ['example.test.', name], { arecord: ['192.0.2.12'] }));
      return outcome(await nova('dnsrecord_add', ['example.test.', name], { arecord: ['192.0.2.13'] }));
    },
    denied: /^ACIError: Insufficient access: Insufficient 'write' privilege to the 'aRecord' attribute/i,
  },
  {
    permission: 'System: Remove DNS Entries',
    act: async () => {
      const name = `d-${randomUUID().slice(0, 8)}`;
      await must(admin('dnsrecord_add', ['example.test.', name], { arecord: ['192.0.2.14'] }));
      return outcome(await nova('dnsrecord_del', ['example.test.', name], { arecord: ['192.0.2.14'] }));
    },
    denied: /^ACIError: Insufficient access: Insufficient 'delete' privilege to delete the entry 'idnsname=/,
  },
  {
    permission: 'Modify service managedBy attribute',
    act: async () => {
      const principal = `HTTP/${await host('vip')}`;
      await must(admin('service_add', [principal], { force: true }));
      return outcome(await nova('service_add_host', [principal], { host: [await host('peer')] }));
    },
    denied: /^failed: Insufficient access: Insufficient 'write' privilege to the 'managedBy' attribute of entry 'krbprincipalname=/i,
  },
  {
    permission: 'Modify managedBy of novajoin hosts',
    act: async () => outcome(await nova('host_add_managedby', [await host('subhost')], { host: [await host('parent')] })),
    denied: /^failed: Insufficient access: Insufficient 'write' privilege to the 'managedBy' attribute of entry 'fqdn=/i,
  },
  { permission: 'Retrieve Certificates from the CA', act: () => novaCanWrite(`cn=retrieve certificate,cn=virtual operations,cn=etc,${suffix()}`, 'objectclass'), denied: /^no write on objectclass$/ },
  { permission: 'Revoke Certificate', act: () => novaCanWrite(`cn=revoke certificate,cn=virtual operations,cn=etc,${suffix()}`, 'objectclass'), denied: /^no write on objectclass$/ },
];

test('every permission of the role is exercised by one row, and no row names a permission the role lacks', (t) => {
  const held = [...PERMISSIONS.map((p) => p.name), ...SYSTEM_PERMISSIONS].map((p) => p.toLowerCase()).sort();
  t.deepEqual(rows.map((r) => r.permission.toLowerCase()).sort(), held);
});

/**
 * The outcome once 389-ds has caught up: its memberOf plugin rewrites the
 * members' memberOf after a membership change, and on a loaded machine an
 * ACI may be evaluated a moment before that. Asked again for up to 10 s;
 * the last outcome is returned either way, so a right that never comes (or
 * never goes) still fails the assertion.
 */
async function settled(act: () => Promise<string>, done: (outcome: string) => boolean): Promise<string> {
  const until = Date.now() + 10_000;
  let outcome = await act();
  while (!done(outcome) && Date.now() < until) {
    await new Promise((r) => setTimeout(r, 200));
    outcome = await act();
  }
  return outcome;
}

for (const row of rows) {
  test.serial(`${row.permission}: needed by novajoin, granted by the role, and its loss fails as FreeIPA fails`, async (t) => {
    t.is(await row.act(), 'ok', 'as the ipa-setup role');
    const permissionDn = `cn=${row.permission},cn=permissions,cn=pbac,${suffix()}`;
    const privilegeDn = `cn=${PRIVILEGE},cn=privileges,cn=pbac,${suffix()}`;
    // What an administrator's privilege_remove_permission does: the privilege leaves the permission's members.
    await stack.emulator.store.modify(permissionDn, [{ op: 'delete', attr: 'member', values: [privilegeDn] }]);
    try {
      t.regex(await settled(row.act, (r) => row.denied.test(r)), row.denied);
    } finally {
      await stack.emulator.store.modify(permissionDn, [{ op: 'add', attr: 'member', values: [privilegeDn] }]);
    }
    t.is(await settled(row.act, (r) => r === 'ok'), 'ok', 'and again once the permission is back');
  });
}

test.serial('the managedBy permission reaches only hosts carrying novajoin\'s binding, never a host made by hand', async (t) => {
  const manual = `manual-${randomUUID().slice(0, 8)}.example.test`;
  await must(admin('host_add', [manual], { force: true, description: 'web server, managed by hand' }));
  t.regex(outcome(await nova('host_add_managedby', [manual], { host: [await host('parent')] })), /^failed: Insufficient access: Insufficient 'write' privilege to the 'managedBy' attribute/i);
});

test.serial('a principal outside the role writes nothing, and admin keeps every right', async (t) => {
  const fqdn = await host('audit');
  const asAuditor = await stack.emulator.rpc('host_mod', [fqdn], { description: 'x' }, stack.readOnlyPrincipal);
  t.regex(outcome(asAuditor), /^ACIError: Insufficient access: Insufficient 'write' privilege/);
  t.is(outcome(await stack.emulator.rpc('host_show', [fqdn], {}, stack.readOnlyPrincipal)), 'ok', 'every authenticated bind reads hosts');
  t.is(outcome(await admin('host_del', [fqdn])), 'ok');
});
