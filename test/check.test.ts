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
import { runBuilt } from './support/built-cli.js';
import { stackEnv, writeStackConfig, type StackConfigOptions } from './support/novajoin-cli.js';
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
  const run = await runBuilt('novajoin', ['check', '--config', file, ...args], { env: stackEnv(stack), resolveHosts: true });
  return { ...run, lines: run.stdout.trim().split('\n'), file };
}

const WHAT = ['configuration', 'key files', 'FreeIPA login', 'FreeIPA role', 'Keystone', 'Nova', 'Glance', 'RabbitMQ', 'RabbitMQ notification queues', 'LDAP'];

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
  t.is(run.stderr, '', 'no log record in the way');
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
  const ldap = run.lines.find((l) => /^(OK|FAIL) LDAP/.test(l));
  t.regex(ldap ?? '', /^FAIL LDAP .*: .*invalid credentials.* — check \[ldap\] bind_dn and bind_password_file/);
  t.true(run.lines.some((l) => l.startsWith('OK RabbitMQ')));
});

test.serial('a Keystone that never answers fails within the check timeout', async (t) => {
  await openstack.setMode('keystone', 'hang');
  try {
    const started = Date.now();
    const run = await check({}, ['--timeout', '5']);
    // Logged, not asserted (no timing assertions): about 5 s, not the configured 10 s timeout (5 s leaves FreeIPA's login, also under it, room on a loaded machine).
    t.log(`check with a hanging Keystone took ${Date.now() - started} ms`);
    t.is(run.code, 1);
    for (const what of ['Keystone', 'Nova', 'Glance']) {
      t.regex(run.lines.find((l) => new RegExp(`^(OK|FAIL) ${what} `).test(l)) ?? '', new RegExp(`^FAIL ${what}.*: .+ — `), what);
    }
    t.regex(run.lines.find((l) => l.startsWith('FAIL Keystone')) ?? '', /no answer within 5\.0 s|timed out|abort/i);
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
  await stack.ensureRole();
});

test.serial('configuration errors: one FAIL line each, nothing else checked, exit 2 (a configuration error)', async (t) => {
  const file = join(dir, 'bad.conf');
  const { writeFile } = await import('node:fs/promises');
  await writeFile(file, '[ldap]\nurl = http://nope\n[DEFAULT]\ndebug = maybe\n');
  const run = await runBuilt('novajoin', ['check', '--config', file]);
  const lines = run.stdout.trim().split('\n');
  t.is(run.code, 2);
  t.is(lines.length, 2, run.stdout);
  t.regex(lines[0]!, /^FAIL configuration .*bad\.conf:2 \[ldap\] url: .* — fix the file/);
  t.regex(lines[1]!, /^FAIL configuration .*bad\.conf:4 \[DEFAULT\] debug: "maybe" is not a boolean; accepted .* — fix the file/);
});

test.serial('an unreachable Keystone is named as the cause; Nova and Glance say they were not checked, not "give the user the admin role"', async (t) => {
  const run = await check({ set: { 'service_credentials.auth_url': 'http://127.0.0.1:1/v3' } });
  t.is(run.code, 1);
  t.regex(run.lines.find((l) => l.startsWith('FAIL Keystone')) ?? '', /unreachable.* — check \[service_credentials\] auth_url and that Keystone is up/);
  for (const what of ['Nova', 'Glance']) {
    const line = run.lines.find((l) => l.startsWith(`FAIL ${what}`)) ?? '';
    t.regex(line, /: not checked: Keystone gave no token — fix the Keystone line first$/, what);
  }
  t.false(run.stdout.includes('admin role'));
});

test.serial('an empty [freeipa] server: FreeIPA and LDAP lines say so, not "Invalid URL"', async (t) => {
  const run = await check({ set: { 'freeipa.server': '', 'freeipa.url': '', 'ldap.url': '' } });
  t.is(run.code, 1);
  t.notRegex(run.stdout, /Invalid URL/i);
  t.regex(run.lines.find((l) => l.startsWith('FAIL FreeIPA login')) ?? '', /: neither \[freeipa\] server nor \[freeipa\] url is set — set \[freeipa\] server/);
  t.regex(run.lines.find((l) => l.startsWith('FAIL LDAP')) ?? '', /: neither \[ldap\] url nor \[freeipa\] server .* is set — set \[freeipa\] server, or \[ldap\] url/);
});

test.serial('missing or unreadable key files are FAIL lines naming the option', async (t) => {
  const { writeFile, chmod } = await import('node:fs/promises');
  const unreadable = join(dir, 'unreadable.password');
  await writeFile(unreadable, 'secret\n');
  await chmod(unreadable, 0o000);
  const run = await check({ set: { 'DEFAULT.otp_secret_file': join(dir, 'no-such-otp.key'), 'ldap.bind_password_file': unreadable } });
  t.is(run.code, 1);
  t.regex(run.lines.find((l) => l.startsWith('FAIL [DEFAULT] otp_secret_file')) ?? '', /no-such-otp\.key does not exist; create it with: head -c 48 \/dev\/urandom/);
  // root reads any file: the line is only expected where permissions apply.
  if (process.getuid?.() !== 0) t.regex(run.lines.find((l) => l.startsWith('FAIL [ldap] bind_password_file')) ?? '', /unreadable\.password is not readable by this user/);
});

test.serial('--json prints one machine-readable report and nothing else on stdout; --debug logs go to stderr', async (t) => {
  const run = await check({ set: { 'DEFAULT.transport_url': 'rabbit://guest:guest@127.0.0.1:1/' } }, ['--json', '--debug']);
  t.is(run.code, 1);
  const report = JSON.parse(run.stdout) as { ok: boolean; checks: Array<{ ok: boolean; what: string; why?: string; fix?: string }> };
  t.false(report.ok);
  t.is(report.checks.length, WHAT.length);
  report.checks.forEach((c, i) => t.true(c.what.startsWith(WHAT[i]!), c.what));
  const rabbit = report.checks.find((c) => c.what.startsWith('RabbitMQ'));
  t.like(rabbit, { ok: false });
  t.regex(rabbit?.why ?? '', /ECONNREFUSED/);
  t.regex(rabbit?.fix ?? '', /transport_url/);
  // With no broker the queue check cannot run either, and says so; everything else is OK.
  const queues = report.checks.find((c) => c.what.startsWith('RabbitMQ notification queues'));
  t.like(queues, { ok: false });
  t.true(report.checks.filter((c) => c.what !== rabbit?.what && c.what !== queues?.what).every((c) => c.ok), run.stdout);
  // The debug records went to stderr, one JSON object per line, never into the report.
  const records = run.stderr.trim().split('\n').filter(Boolean);
  t.true(records.length > 0, 'debug logging on');
  for (const record of records) t.is(typeof (JSON.parse(record) as { level: string }).level, 'string');
});
