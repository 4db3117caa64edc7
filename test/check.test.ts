/**
 * `novajoin check` as a subprocess: every line OK against the real stack,
 * then each broken dependency (FreeIPA down, a keytab without our key, an
 * unreachable RabbitMQ URL, a wrong LDAP password, a Keystone that hangs)
 * gets its own FAIL line with a fix, and a non-zero exit.
 */
import test from 'ava';
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startIpaStack, type IpaStack } from './support/ipa-stack.js';
import { runNovajoin, stackEnv, writeStackConfig, type StackConfigOptions } from './support/novajoin-cli.js';
import { startOpenStack, type OpenStackServers } from './support/openstack-servers.js';

let stack: IpaStack;
let openstack: OpenStackServers;
let dir: string;

test.before(async () => {
  stack = await startIpaStack();
  openstack = await startOpenStack();
  dir = await mkdtemp(join(tmpdir(), 'novajoin-check-test-'));
  // The stack has already run ipa-setup's role steps as admin, so the role lines can be OK.
});

test.after.always(async () => {
  await openstack?.stop();
  await stack?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

let configs = 0;
const RUN = randomUUID();
async function check(options: Partial<StackConfigOptions> = {}, args: string[] = []) {
  const where = join(dir, `c${configs++}`);
  await mkdir(where);
  // A topic of its own: the shared broker's novajoin_notifications queues are whatever other tests left.
  const file = await writeStackConfig({ dir: where, stack, openstack, ...options, set: { 'DEFAULT.notifications_topic': `novajoin-check-${RUN}`, ...options.set } });
  const run = await runNovajoin(['check', '--config', file, ...args], { env: stackEnv(stack) });
  return { ...run, lines: run.stdout.trim().split('\n') };
}

const WHAT = ['configuration', 'FreeIPA login', 'FreeIPA role', 'Keystone', 'Nova', 'Glance', 'RabbitMQ', 'RabbitMQ notification queues', 'LDAP'];

test.serial('a healthy deployment: one OK line per check, exit 0', async (t) => {
  const run = await check();
  t.is(run.code, 0, run.stdout + run.stderr);
  t.is(run.lines.length, WHAT.length, run.stdout);
  run.lines.forEach((line, i) => t.true(line.startsWith(`OK ${WHAT[i]}`), line));
});

test.serial('FreeIPA down and RabbitMQ unreachable: a FAIL line each, the rest OK', async (t) => {
  const run = await check({ set: { 'freeipa.url': `https://${stack.serverName}:1/ipa`, 'DEFAULT.transport_url': 'rabbit://guest:guest@127.0.0.1:1/' } });
  t.is(run.code, 1);
  t.is(run.lines.length, WHAT.length, run.stdout);
  const failed = run.lines.filter((l) => l.startsWith('FAIL'));
  t.deepEqual(failed.map((l) => WHAT.find((w) => l.startsWith(`FAIL ${w}`))), ['FreeIPA login', 'FreeIPA role', 'RabbitMQ', 'RabbitMQ']);
  t.regex(failed[3]!, /^FAIL RabbitMQ notification queues: not checked: no broker answered — fix the RabbitMQ line first/);
  t.regex(failed[0]!, /^FAIL FreeIPA login to https:\/\/ipa\.example\.test:1\/ipa .*: .+ — check \[freeipa\] server and url/);
  t.regex(failed[2]!, /^FAIL RabbitMQ amqp:\/\/guest@127\.0\.0\.1:1\/%2F: .*ECONNREFUSED.* — check \[DEFAULT\] transport_url/);
  t.false(run.stdout.includes('guest:guest'), 'no password in the output');
  for (const ok of ['Keystone', 'Nova', 'Glance', 'LDAP']) t.true(run.lines.some((l) => l.startsWith(`OK ${ok}`)), ok);
});

test.serial('a keytab without our key and a wrong LDAP password: their own FAIL lines with the fix', async (t) => {
  const wrong = await stack.kdc.keytab(['auditor'], join(dir, 'auditor.keytab'));
  const badPassword = join(dir, 'wrong-ldap.password');
  const { writeFile } = await import('node:fs/promises');
  await writeFile(badPassword, 'wrong\n', { mode: 0o600 });
  const run = await check({ set: { 'DEFAULT.keytab': wrong, 'ldap.bind_password_file': badPassword } });
  t.is(run.code, 1);
  const login = run.lines.find((l) => l.includes('FreeIPA login'));
  t.regex(login ?? '', /^FAIL FreeIPA login .* with keytab .*auditor\.keytab: .+ — check \[DEFAULT\] keytab .*novajoin ipa-setup --rotate-keytab/);
  const ldap = run.lines.find((l) => l.includes('LDAP'));
  t.regex(ldap ?? '', /^FAIL LDAP .*: .*invalid credentials.* — check \[ldap\] bind_dn and bind_password_file/);
  t.true(run.lines.some((l) => l.startsWith('OK RabbitMQ')));
});

test.serial('a Keystone that never answers fails within the check timeout', async (t) => {
  await openstack.setMode('keystone', 'hang');
  try {
    const started = Date.now();
    const run = await check({}, ['--timeout', '2']);
    // Logged, not asserted (no timing assertions): about 2 s, not the configured 10 s timeout.
    t.log(`check with a hanging Keystone took ${Date.now() - started} ms`);
    t.is(run.code, 1);
    for (const what of ['Keystone', 'Nova', 'Glance']) {
      t.regex(run.lines.find((l) => new RegExp(`^(OK|FAIL) ${what} `).test(l)) ?? '', new RegExp(`^FAIL ${what}.*: .+ — `), what);
    }
    t.regex(run.lines.find((l) => l.startsWith('FAIL Keystone')) ?? '', /no answer within 2\.0 s|timed out|abort/i);
    t.true(run.lines.some((l) => l.startsWith('OK FreeIPA login')));
  } finally {
    await openstack.setMode('keystone', 'up');
  }
});

test.serial('a permission missing from the principal\'s privilege is named, with the ipa command that adds it', async (t) => {
  const permissionDn = `cn=Revoke Certificate,cn=permissions,cn=pbac,${stack.suffix}`;
  const privilegeDn = `cn=Nova Host Management,cn=privileges,cn=pbac,${stack.suffix}`;
  await stack.emulator.store.modify(permissionDn, [{ op: 'delete', attr: 'member', values: [privilegeDn] }]);
  try {
    const run = await check();
    t.is(run.code, 1);
    const failed = run.lines.filter((l) => l.startsWith('FAIL'));
    t.is(failed.length, 1, run.stdout);
    t.regex(failed[0] ?? '', /^FAIL FreeIPA role "Nova Host Manager".*: nova\/novajoin\.example\.test@EXAMPLE\.TEST lacks "Revoke Certificate" — ipa privilege-add-permission "Nova Host Management" --permissions="Revoke Certificate"$/);
  } finally {
    await stack.emulator.store.modify(permissionDn, [{ op: 'add', attr: 'member', values: [privilegeDn] }]);
  }
});

test.serial('a missing role is a FAIL line that says to run ipa-setup', async (t) => {
  const removed = await stack.emulator.rpc('role_del', ['Nova Host Manager'], {});
  if (removed.error) throw new Error(removed.error.message);
  const run = await check();
  t.is(run.code, 1);
  t.deepEqual(run.lines.filter((l) => l.startsWith('FAIL')).length, 1, run.stdout);
  t.regex(run.lines.find((l) => l.startsWith('FAIL')) ?? '', /^FAIL FreeIPA role "Nova Host Manager".*: FreeIPA shows no role .* — run `novajoin ipa-setup`/);
});

test.serial('a configuration error is the first and only line', async (t) => {
  const file = join(dir, 'bad.conf');
  const { writeFile } = await import('node:fs/promises');
  await writeFile(file, '[ldap]\nurl = http://nope\n');
  const run = await runNovajoin(['check', '--config', file]);
  const lines = run.stdout.trim().split('\n');
  t.is(run.code, 1);
  t.is(lines.length, 1);
  t.regex(lines[0]!, /^FAIL configuration: .*\[ldap\].*url.* — fix the file/);
});
