/**
 * The FreeIPA client against the test FreeIPA (emulator over HTTPS, real MIT
 * KDC, real 389-ds): Kerberos and password logins, one shared login, session
 * expiry, batch, every command builder on its success and one error path,
 * and what reaches the log.
 */
import test from 'ava';
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { startIpaStack, type IpaStack, stackClientOptions } from './support/ipa-stack.js';
import { FreeIpaClient, clientFromConfig, type FreeIpaClientOptions } from '../src/freeipa/client.js';
import * as cmd from '../src/freeipa/commands.js';
import * as dnsCmd from '../src/freeipa/dns-commands.js';
import * as rbacCmd from '../src/freeipa/rbac-commands.js';
import {
  AlreadyInactiveError, AttrValueNotFoundError, DuplicateEntryError, EmptyModlistError, FreeIpaAuthError, NotFoundError,
  ValidationError, VersionError,
} from '../src/freeipa/errors.js';
import { createLogger } from '../src/log/logger.js';
import { loadConfigText } from '../src/config/load.js';

let stack: IpaStack;

test.before(async () => {
  stack = await startIpaStack();
});

test.after.always(async () => {
  await stack?.stop();
});

function options(overrides: Partial<FreeIpaClientOptions> = {}): FreeIpaClientOptions {
  return stackClientOptions(stack, overrides);
}

/** A client closed when the test ends. */
function client(t: { teardown: (fn: () => Promise<void>) => void }, overrides: Partial<FreeIpaClientOptions> = {}): FreeIpaClient {
  const c = new FreeIpaClient(options(overrides));
  t.teardown(() => c.close());
  return c;
}

const unique = (prefix: string) => `${prefix}-${randomBytes(4).toString('hex')}.${stack.domain}`;

test('Kerberos login with the KDC-issued keytab; calls reuse the session', async (t) => {
  const c = client(t);
  const summary = await c.ping();
  t.regex(summary, /IPA server version .*API version 2\.\d+/);
  await c.ping();
  await c.call(cmd.hostShow(stack.serverName));
  t.is(c.stats.logins, 1);
  t.is(c.stats.roundTrips, 3);
});

test('Kerberos login with the keytab\'s first principal when none is configured', async (t) => {
  const c = client(t, { auth: { kind: 'kerberos', keytab: stack.clientKeytab } });
  const out = await c.call(cmd.hostShow(stack.serverName));
  t.deepEqual(out.result.fqdn, [stack.serverName]);
});

test('password login (login_password), and clientFromConfig reading password_file', async (t) => {
  const c = client(t, { auth: { kind: 'password', user: 'admin', password: stack.adminPassword } });
  t.regex(await c.ping(), /IPA server version/);
  t.is(c.stats.logins, 1);

  const { mkdtemp, writeFile, rm } = await import('node:fs/promises');
  const { join } = await import('node:path');
  const { tmpdir } = await import('node:os');
  const dir = await mkdtemp(join(tmpdir(), 'novajoin-pw-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const pwFile = join(dir, 'password');
  await writeFile(pwFile, `${stack.adminPassword}\n`, { mode: 0o600 });
  const { config } = loadConfigText(
    ['[freeipa]', `server = ${stack.serverName}`, `url = ${stack.url}`, `ca_file = ${stack.caFile}`, 'auth = password', 'user = admin', `password_file = ${pwFile}`, ''].join('\n'),
    '/etc/novajoin/join.conf',
  );
  const fromConfig = clientFromConfig(config, createLogger({ stream: new Writable({ write: (_c, _e, cb) => cb() }) }), { lookup: stack.lookup });
  t.teardown(() => fromConfig.close());
  t.regex(await fromConfig.ping(), /IPA server version/);
});

test('a wrong password is FreeIpaAuthError with FreeIPA\'s reason, after one login attempt', async (t) => {
  const c = client(t, { auth: { kind: 'password', user: 'admin', password: 'not-the-password' } });
  const error = await t.throwsAsync(c.ping(), { instanceOf: FreeIpaAuthError });
  t.is(error?.reason, 'invalid-password');
  t.notRegex(error?.message ?? '', /not-the-password/);
  t.is(c.stats.logins, 1);
  t.is(c.stats.roundTrips, 0);
});

test('a principal missing from the keytab, or unknown to the KDC, is FreeIpaAuthError without retries', async (t) => {
  const notInKeytab = client(t, { auth: { kind: 'kerberos', keytab: stack.clientKeytab, principal: `nobody@${stack.realm}` } });
  const e1 = await t.throwsAsync(notInKeytab.ping(), { instanceOf: FreeIpaAuthError });
  t.regex(e1?.message ?? '', /nobody@EXAMPLE\.TEST/);
  t.is(notInKeytab.stats.logins, 1);

  // A keytab whose principal was deleted from the KDC since.
  const gone = `nova/gone-${randomBytes(3).toString('hex')}.${stack.domain}`;
  await stack.kdc.addPrincipal(gone);
  const keytab = await stack.kdc.keytab([gone]);
  await stack.kdc.deletePrincipal(gone);
  const unknown = client(t, { auth: { kind: 'kerberos', keytab } });
  const e2 = await t.throwsAsync(unknown.ping(), { instanceOf: FreeIpaAuthError });
  t.regex(e2?.message ?? '', /not found in Kerberos database/);
  t.is(unknown.stats.logins, 1);
  t.is(unknown.stats.roundTrips, 0);

  const missing = client(t, { auth: { kind: 'kerberos', keytab: '/nonexistent/novajoin.keytab' } });
  await t.throwsAsync(missing.ping(), { instanceOf: FreeIpaAuthError, message: /\/nonexistent\/novajoin\.keytab/ });
});

test('concurrent first calls share one login', async (t) => {
  const c = client(t, { maxConcurrency: 3 });
  const results = await Promise.all(Array.from({ length: 12 }, () => c.ping()));
  t.is(results.length, 12);
  t.is(c.stats.logins, 1);
  t.is(c.stats.roundTrips, 12);
});

test('an expired session is recovered by exactly one re-login, even for concurrent callers', async (t) => {
  const kerberosClient = client(t);
  const passwordClient = client(t, { auth: { kind: 'password', user: 'admin', password: stack.adminPassword } });
  for (const c of [kerberosClient, passwordClient]) {
    await c.ping();
    t.is(c.stats.logins, 1);
  }
  stack.emulator.expireSessions();
  for (const c of [kerberosClient, passwordClient]) {
    await Promise.all(Array.from({ length: 6 }, () => c.call(cmd.hostShow(stack.serverName))));
    t.is(c.stats.logins, 2);
    await c.ping();
    t.is(c.stats.logins, 2);
  }
});

test('a batch: one round trip, per-item results, a failed item is an item error', async (t) => {
  const c = client(t);
  await c.ping();
  const before = c.stats.roundTrips;
  const fqdn = unique('batch');
  const items = await c.batch([
    cmd.hostAdd(fqdn, { force: true, description: 'batch test' }),
    cmd.hostShow(unique('missing')),
    cmd.hostAdd(fqdn, { force: true }),
    cmd.hostShow(fqdn),
  ]);
  t.is(c.stats.roundTrips - before, 1);
  t.is(items.length, 4);
  t.true(items[0]?.ok);
  t.true(items[1]?.ok === false && items[1].error instanceof NotFoundError);
  t.true(items[2]?.ok === false && items[2].error instanceof DuplicateEntryError);
  const shown = items[3];
  t.true(shown?.ok);
  if (shown?.ok) t.deepEqual((shown.result['result'] as cmd.HostEntry).description, ['batch test']);
  t.is(c.stats.errors['NotFound'], 1);
  t.is(c.stats.errors['DuplicateEntry'], 1);
});

test('a batch of zero commands makes no request (not even a login)', async (t) => {
  const c = client(t);
  t.deepEqual(await c.batch([]), []);
  t.is(c.stats.roundTrips, 0);
  t.is(c.stats.logins, 0);
});

test('the pinned API version is sent: another major is VersionError', async (t) => {
  const c = client(t, { apiVersion: '3.0' });
  await t.throwsAsync(c.ping(), { instanceOf: VersionError });
});

test('host commands: add, mod, show, find, disable, del, each with an error path', async (t) => {
  const c = client(t);
  const fqdn = unique('host');
  const otp = randomBytes(12).toString('hex');

  const added = await c.call(cmd.hostAdd(fqdn, { force: true, userpassword: otp, description: 'novajoin test' }));
  t.deepEqual(added.result.fqdn, [fqdn]);
  t.true(added.result.has_password);
  await t.throwsAsync(c.call(cmd.hostAdd(fqdn, { force: true })), { instanceOf: DuplicateEntryError });
  await t.throwsAsync(c.call(cmd.hostAdd('not-qualified', { force: true })), { instanceOf: ValidationError });

  const modified = await c.call(cmd.hostMod(fqdn, { description: 'changed', userclass: ['nova'] }));
  t.deepEqual(modified.result.description, ['changed']);
  t.deepEqual(modified.result.userclass, ['nova']);

  const shown = await c.call(cmd.hostShow(fqdn));
  t.deepEqual(shown.result.description, ['changed']);
  await t.throwsAsync(c.call(cmd.hostShow(unique('missing'))), { instanceOf: NotFoundError });

  const found = await c.call(cmd.hostFind(undefined, { fqdn }));
  t.is(found.count, 1);
  t.deepEqual(found.result[0]?.fqdn, [fqdn]);
  // No match is an empty result, never NotFound.
  const none = await c.call(cmd.hostFind(undefined, { fqdn: unique('missing') }));
  t.is(none.count, 0);
  t.deepEqual(none.result, []);

  // Once the guest enrolled, FreeIPA refuses a new OTP.
  await stack.emulator.simulateEnrollment(fqdn, otp);
  await t.throwsAsync(c.call(cmd.hostMod(fqdn, { userpassword: 'another' })), { instanceOf: ValidationError, message: /Password cannot be set on enrolled host/ });

  const disabled = await c.call(cmd.hostDisable(fqdn));
  t.true(disabled.result);
  await t.throwsAsync(c.call(cmd.hostDisable(fqdn)), { instanceOf: AlreadyInactiveError });

  const deleted = await c.call(cmd.hostDel(fqdn));
  t.deepEqual(deleted.result.failed, []);
  await t.throwsAsync(c.call(cmd.hostDel(fqdn)), { instanceOf: NotFoundError });
  t.is(await stack.emulator.getHost(fqdn), null);
});

test('service commands: add, add_host, remove_host, show, find, del, each with an error path', async (t) => {
  const c = client(t);
  const fqdn = unique('svc');
  const other = unique('svc-other');
  await c.batch([cmd.hostAdd(fqdn, { force: true }), cmd.hostAdd(other, { force: true })]);
  const principal = `HTTP/${fqdn}`;

  const added = await c.call(cmd.serviceAdd(principal, { force: true }));
  t.deepEqual(added.result.krbcanonicalname, [`${principal}@${stack.realm}`]);
  await t.throwsAsync(c.call(cmd.serviceAdd(`HTTP/${unique('nohost')}`, { force: true })), { instanceOf: NotFoundError });

  const addHost = await c.call(cmd.serviceAddHost(principal, [other]));
  t.is(addHost.completed, 1);
  const addMissing = await c.call(cmd.serviceAddHost(principal, [unique('missing')]));
  t.is(addMissing.completed, 0);
  t.is(addMissing.failed['managedby']?.['host']?.length, 1);

  const shown = await c.call(cmd.serviceShow(principal));
  t.true(shown.result.managedby_host?.includes(other));
  await t.throwsAsync(c.call(cmd.serviceShow(`HTTP/${unique('missing')}`)), { instanceOf: NotFoundError });

  const found = await c.call(cmd.serviceFind(undefined, { man_by_host: [fqdn] }));
  t.is(found.count, 1);
  t.is((await c.call(cmd.serviceFind(undefined, { man_by_host: [unique('missing')] }))).count, 0);

  const removed = await c.call(cmd.serviceRemoveHost(principal, [other]));
  t.is(removed.completed, 1);
  const removeAgain = await c.call(cmd.serviceRemoveHost(principal, [other]));
  t.is(removeAgain.completed, 0);
  t.is(removeAgain.failed['managedby']?.['host']?.length, 1);

  await c.call(cmd.serviceDel(principal));
  await t.throwsAsync(c.call(cmd.serviceDel(principal)), { instanceOf: NotFoundError });
  await c.call(cmd.hostDel([fqdn, other]));
});

test('DNS commands: zone show, record add, find, del, each with an error path', async (t) => {
  const c = client(t);
  const zone = stack.domain;
  const name = `rec-${randomBytes(4).toString('hex')}`;

  const z = await c.call(dnsCmd.dnszoneShow(zone));
  // DNS names arrive as {__dns_name__} and are decoded to strings.
  t.deepEqual(z.result['idnsname'], [`${zone}.`]);
  await t.throwsAsync(c.call(dnsCmd.dnszoneShow('no-such-zone.test')), { instanceOf: NotFoundError });

  const added = await c.call(dnsCmd.dnsrecordAdd(zone, name, { arecord: ['192.0.2.10'] }));
  t.deepEqual(added.result.arecord, ['192.0.2.10']);
  await t.throwsAsync(c.call(dnsCmd.dnsrecordAdd(zone, name, { arecord: ['192.0.2.10'] })), { instanceOf: EmptyModlistError });

  const found = await c.call(dnsCmd.dnsrecordFind(zone, undefined, { idnsname: name }));
  t.is(found.count, 1);
  t.deepEqual(found.result[0]?.idnsname, [name]);
  await t.throwsAsync(c.call(dnsCmd.dnsrecordFind('no-such-zone.test')), { instanceOf: NotFoundError });

  await t.throwsAsync(c.call(dnsCmd.dnsrecordDel(zone, name, { arecord: ['192.0.2.99'] })), { instanceOf: AttrValueNotFoundError });
  const deleted = await c.call(dnsCmd.dnsrecordDel(zone, name, { arecord: ['192.0.2.10'] }));
  t.regex(String(deleted.summary), /Deleted record/);
  t.is((await c.call(dnsCmd.dnsrecordFind(zone, undefined, { idnsname: name }))).count, 0);
});

test('RBAC commands of the setup: permission, privilege, role, each with an error path', async (t) => {
  // `novajoin ipa-setup` runs these as a FreeIPA administrator; novajoin's own role may not create permissions.
  const c = client(t, { auth: { kind: 'password', user: 'admin', password: stack.adminPassword } });
  const tag = randomBytes(4).toString('hex');
  const permission = `Modify host password ${tag}`;
  const privilege = `Nova Host Management ${tag}`;
  const role = `Nova Host Manager ${tag}`;

  const perm = await c.call(rbacCmd.permissionAdd(permission, { ipapermright: ['write'], type: 'host', attrs: ['userpassword'] }));
  t.truthy(perm.result);
  await t.throwsAsync(c.call(rbacCmd.permissionAdd(permission, { ipapermright: ['write'], type: 'host', attrs: ['userpassword'] })), { instanceOf: DuplicateEntryError });

  await c.call(rbacCmd.privilegeAdd(privilege, { description: 'Nova Host Management' }));
  await t.throwsAsync(c.call(rbacCmd.privilegeAdd(privilege)), { instanceOf: DuplicateEntryError });

  const withPerm = await c.call(rbacCmd.privilegeAddPermission(privilege, [permission, 'System: Add Hosts']));
  t.is(withPerm.completed, 2);
  const missingPerm = await c.call(rbacCmd.privilegeAddPermission(privilege, [`No such permission ${tag}`]));
  t.is(missingPerm.completed, 0);
  t.is(missingPerm.failed['member']?.['permission']?.length, 1);

  await c.call(rbacCmd.roleAdd(role, { description: 'Nova Host Manager' }));
  await t.throwsAsync(c.call(rbacCmd.roleAdd(role)), { instanceOf: DuplicateEntryError });

  t.is((await c.call(rbacCmd.roleAddPrivilege(role, [privilege]))).completed, 1);
  const missingPriv = await c.call(rbacCmd.roleAddPrivilege(role, [`No such privilege ${tag}`]));
  t.is(missingPriv.failed['member']?.['privilege']?.length, 1);

  const member = `HTTP/${unique('rbac')}`;
  await c.call(cmd.serviceAdd(member, { force: true, skip_host_check: true }));
  t.is((await c.call(rbacCmd.roleAddMember(role, { service: [member] }))).completed, 1);
  const missingMember = await c.call(rbacCmd.roleAddMember(role, { service: [`nova/missing.${stack.domain}@${stack.realm}`] }));
  t.is(missingMember.completed, 0);
  t.is(missingMember.failed['member']?.['service']?.length, 1);

  const shown = await c.call(rbacCmd.roleShow(role));
  const lower = (v: unknown) => ((v as string[] | undefined) ?? []).map((x) => x.toLowerCase());
  t.deepEqual(lower(shown.result['memberof_privilege']), [privilege.toLowerCase()]);
  t.deepEqual(lower(shown.result['member_service']), [`${member}@${stack.realm}`.toLowerCase()]);
  await t.throwsAsync(c.call(rbacCmd.roleShow(`No such role ${tag}`)), { instanceOf: NotFoundError });
});

test('rpc events carry method, duration and outcome; the log has method names, never OTPs or session cookies', async (t) => {
  const lines: string[] = [];
  const logger = createLogger({ debug: true, format: 'json', stream: new Writable({ write: (chunk, _e, cb) => (lines.push(String(chunk)), cb()) }) });
  const c = client(t, { logger, auth: { kind: 'password', user: 'admin', password: stack.adminPassword } });
  const events: Array<{ method: string; outcome: string; durationMs: number }> = [];
  c.on('rpc', (e) => events.push(e));
  const fqdn = unique('log');
  const otp = `otp-${randomBytes(12).toString('hex')}`;
  await c.call(cmd.hostAdd(fqdn, { force: true, userpassword: otp }));
  await t.throwsAsync(c.call(cmd.hostShow(unique('missing'))), { instanceOf: NotFoundError });
  await c.batch([cmd.hostShow(fqdn), cmd.hostDel(fqdn)]);

  t.deepEqual(events.map((e) => [e.method, e.outcome]), [['host_add', 'ok'], ['host_show', 'NotFound'], ['batch', 'ok']]);
  t.true(events.every((e) => e.durationMs >= 0));
  const log = lines.join('');
  t.regex(log, /host_add/);
  t.regex(log, /freeipa login/);
  t.false(log.includes(otp));
  t.false(log.includes(stack.adminPassword));
  t.false(log.includes('MagBearerToken'));
});
