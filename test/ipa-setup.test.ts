/**
 * `novajoin ipa-setup` as a subprocess against the real KDC, dirsrv and test
 * FreeIPA server: the RBAC objects and the service principal, twice with the
 * same result; a real keytab (see support/getkeytab-kadmin.sh for why it is
 * not ipa-getkeytab) fetched with an admin ticket from a private cache that
 * is gone afterwards; --precreate's OTP enrolls the host.
 */
import test from 'ava';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseBinding } from '../src/domain/binding.js';
import { PERMISSIONS, PRIVILEGE, ROLE, SYSTEM_PERMISSIONS } from '../src/setup/rbac.js';
import { startIpaStack, type IpaStack } from './support/ipa-stack.js';
import { runNovajoin, stackEnv, writeStackConfig } from './support/novajoin-cli.js';
import { runCommand } from './support/tmp.js';

const GETKEYTAB = fileURLToPath(new URL('./support/getkeytab-kadmin.sh', import.meta.url));
const NOVAJOIN_HOST = 'novajoin.example.test';

let stack: IpaStack;
let dir: string;
let configFile: string;
let passwordFile: string;
let keytab: string;
let getkeytabLog: string;

test.before(async () => {
  // The stack itself does not run ipa-setup here: this file shows what a first run creates.
  stack = await startIpaStack({ setupRole: false });
  dir = await mkdtemp(join(tmpdir(), 'novajoin-ipa-setup-test-'));
  keytab = join(dir, 'nova.keytab');
  getkeytabLog = join(dir, 'getkeytab.log');
  configFile = await writeStackConfig({ dir, stack, set: { 'DEFAULT.keytab': keytab } });
  passwordFile = join(dir, 'admin.password');
  await writeFile(passwordFile, `${stack.adminPassword}\n`, { mode: 0o600 });
  // The machine novajoin runs on is a FreeIPA client already (service_add needs its host).
  const added = await stack.emulator.rpc('host_add', [NOVAJOIN_HOST], { force: true });
  if (added.error) throw new Error(added.error.message);
});

test.after.always(async () => {
  await stack?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const setup = (args: string[], env: Record<string, string> = {}) =>
  runNovajoin(['ipa-setup', '--config', configFile, '--password-file', passwordFile, '--hostname', NOVAJOIN_HOST, '--getkeytab-command', GETKEYTAB, ...args], {
    env: { ...stackEnv(stack), GETKEYTAB_LOG: getkeytabLog, ...env },
  });

/** What ipa-setup is responsible for, as FreeIPA shows it. */
async function snapshot(): Promise<unknown> {
  const show = async (method: string, name: string) => {
    const response = await stack.emulator.rpc(method, [name], { all: true });
    if (response.error) return { error: response.error.name };
    const result = response.result as { result: Record<string, unknown> };
    return result.result;
  };
  return {
    permissions: await Promise.all(PERMISSIONS.map((p) => show('permission_show', p.name))),
    privilege: await show('privilege_show', PRIVILEGE),
    role: await show('role_show', ROLE),
    service: await show('service_show', `nova/${NOVAJOIN_HOST}@${stack.realm}`),
  };
}

test.serial('ipa-setup creates the role, privilege, permissions, principal and keytab; a second run changes nothing', async (t) => {
  const first = await setup([]);
  t.is(first.code, 0, first.stderr);
  t.is(first.stdout, '', 'nothing on stdout without --precreate');
  t.regex(first.stderr, /created +permission "Modify managedBy of novajoin hosts"/);
  t.regex(first.stderr, /created +role "Nova Host Manager" has member nova\/novajoin\.example\.test@EXAMPLE\.TEST/);
  t.regex(first.stderr, /created +keytab /);
  t.false(first.stderr.includes(stack.adminPassword), 'the password never appears');

  const state = (await snapshot()) as { role: Record<string, unknown>; privilege: Record<string, unknown>; permissions: Record<string, unknown>[]; service: Record<string, unknown> };
  t.deepEqual(state.role['memberof_privilege'], [PRIVILEGE]);
  t.deepEqual(state.role['member_service'], [`nova/${NOVAJOIN_HOST}@${stack.realm}`]);
  const held = (state.privilege['memberof_permission'] as string[]).map((p) => p.toLowerCase()).sort();
  t.deepEqual(held, [...PERMISSIONS.map((p) => p.name), ...SYSTEM_PERMISSIONS].map((p) => p.toLowerCase()).sort());
  t.deepEqual(state.permissions[0]?.['attrs'], ['managedby']);
  t.deepEqual(state.permissions[0]?.['type'], ['service']);
  t.deepEqual(state.permissions[1]?.['attrs'], ['managedby']);
  t.deepEqual(state.permissions[1]?.['type'], ['host']);

  // A real keytab: 0600, and the KDC accepts its key.
  t.is((await stat(keytab)).mode & 0o777, 0o600);
  const kinit = await runCommand('kinit', ['-k', '-t', keytab, '-c', `FILE:${join(dir, 'check.ccache')}`, `nova/${NOVAJOIN_HOST}@${stack.realm}`], { env: stack.kdc.env(), timeoutMs: 20_000 });
  t.is(kinit.code, 0, kinit.stderr);
  // The admin ticket was in a private cache, removed afterwards.
  const log = await readFile(getkeytabLog, 'utf8');
  const ccache = /ccache=FILE:(\S+)/.exec(log)?.[1];
  t.truthy(ccache);
  t.false(existsSync(ccache!), 'the credential cache is gone');
  t.false(existsSync(join(ccache!, '..')), 'and its directory');

  const second = await setup([]);
  t.is(second.code, 0, second.stderr);
  t.notRegex(second.stderr, /^created/m, 'everything exists already');
  t.regex(second.stderr, /exists +keytab .*--rotate-keytab/);
  t.deepEqual(await snapshot(), state, 'the same FreeIPA state');
  t.is((await readFile(getkeytabLog, 'utf8')).trim().split('\n').length, 1, 'the keytab was not fetched again (that would invalidate it)');

  const rotated = await setup(['--rotate-keytab']);
  t.is(rotated.code, 0, rotated.stderr);
  t.is((await readFile(getkeytabLog, 'utf8')).trim().split('\n').length, 2);
});

test.serial('--precreate gives an OTP that enrolls the host, in a 0600 file or on stdout', async (t) => {
  const otpFile = join(dir, 'node1.otp');
  const run = await setup(['--precreate', 'node1.example.test', '--otp-file', otpFile, '--skip-keytab']);
  t.is(run.code, 0, run.stderr);
  t.is(run.stdout, '');
  t.is((await stat(otpFile)).mode & 0o777, 0o600);
  const otp = (await readFile(otpFile, 'utf8')).trim();
  t.regex(otp, /^[0-9a-f]{40}$/);
  t.false(run.stderr.includes(otp), 'the OTP is not in the log');
  const host = await stack.emulator.getHost('node1.example.test');
  const description = host?.attrs['description'] ?? [];
  t.regex(description[0] ?? '', /^novajoin:precreated issued=\d+$/);
  t.is(parseBinding(description), null, 'not a host binding: no instance owns it, resync leaves it alone');
  await t.notThrowsAsync(stack.emulator.simulateEnrollment('node1.example.test', otp));

  // Enrolled: asking again is refused rather than breaking the host.
  const again = await setup(['--precreate', 'node1.example.test', '--skip-keytab']);
  t.is(again.code, 1);
  t.regex(again.stderr, /already enrolled.*host-disable/);

  // On stdout, alone, for otp=$(novajoin ipa-setup --precreate ...).
  const printed = await setup(['--precreate', 'node2.example.test', '--skip-keytab']);
  t.is(printed.code, 0, printed.stderr);
  t.regex(printed.stdout, /^[0-9a-f]{40}\n$/);
  await t.notThrowsAsync(stack.emulator.simulateEnrollment('node2.example.test', printed.stdout.trim()));
});

test.serial('the password is never taken from the command line, and a wrong one fails cleanly', async (t) => {
  const noTty = await runNovajoin(['ipa-setup', '--config', configFile, '--hostname', NOVAJOIN_HOST, '--skip-keytab'], { env: stackEnv(stack) });
  t.is(noTty.code, 1);
  t.regex(noTty.stderr, /no terminal to ask for the password on; use --password-file/);
  const bad = join(dir, 'bad.password');
  await writeFile(bad, 'not-the-password\n', { mode: 0o600 });
  const refused = await runNovajoin(['ipa-setup', '--config', configFile, '--password-file', bad, '--hostname', NOVAJOIN_HOST, '--skip-keytab'], { env: stackEnv(stack) });
  t.is(refused.code, 1);
  t.regex(refused.stderr, /refused the login of admin/);
  t.false(refused.stderr.includes('not-the-password'));
});

test.serial('the keytab is handed to the user the services run as, and a missing user is said, not ignored', async (t) => {
  const given = await setup(['--keytab-owner', 'nobody']);
  t.is(given.code, 0, given.stderr);
  const info = await stat(keytab);
  t.is(info.mode & 0o777, 0o600);
  if (process.getuid?.() === 0) {
    t.regex(given.stderr, /owner +keytab .* is nobody's, mode 0600/);
    t.is(info.uid, 65534);
  } else {
    t.regex(given.stderr, /warning keytab .*: not root/);
  }
  const missing = await setup(['--keytab-owner', 'no-such-user-novajoin']);
  t.is(missing.code, 0, missing.stderr);
  t.regex(missing.stderr, process.getuid?.() === 0 ? /warning keytab .*no user no-such-user-novajoin on this machine/ : /warning keytab .*: not root/);
});
