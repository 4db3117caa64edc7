/**
 * `novajoin dev --kerberos` with FreeIPA's own CLI, as an operator uses it:
 * dev on ipa.example.test:443, one instance enrolled as Nova would, `kinit
 * admin` with the password dev wrote, then Debian's `python3 -m ipaclient
 * host-find` and `host-show` (ipalib 4.9) with the environment dev printed.
 * ipalib only talks to port 443 of a dotted name, so everything runs in user,
 * network and mount namespaces of its own (unshare -rnm), with a private
 * /etc/hosts bind-mounted over the real one there: nothing outside changes.
 */
import test from 'ava';
import { randomUUID } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DevNetnsConfig, DevNetnsOutput } from './support/dev-ipalib-netns.js';
import { builtPackage } from './support/built-cli.js';
import { freePort, makeTempDir, removeDir, runCommand } from './support/tmp.js';

const RUNNER = fileURLToPath(new URL('./support/dev-ipalib-netns.ts', import.meta.url));
const ipaName = 'ipa.example.test';
const fqdn = 'vm1.example.test';

let dir: string;
let out: DevNetnsOutput;

test.before(async (t) => {
  // Longer than ava's 2-minute inactivity timeout on a loaded machine.
  t.timeout(300_000);
  dir = await makeTempDir('novajoin-dev-ipalib');
  const scratch = join(dir, 'scratch');
  await mkdir(scratch);
  const hosts = join(dir, 'hosts');
  // ipalib resolves the machine's own name when it loads, as on any configured host.
  await writeFile(hosts, `127.0.0.1 localhost ${hostname()}\n127.0.0.1 ${ipaName}\n::1 localhost\n`);
  const config: DevNetnsConfig = { root: await builtPackage(), dir: join(dir, 'dev'), scratch, ipaName, port: 9090, instanceId: randomUUID(), fqdn };
  const configFile = join(dir, 'config.json');
  await writeFile(configFile, JSON.stringify(config));
  const { stdout } = await runCommand(
    'unshare',
    ['-rnm', 'sh', '-c', 'ip link set lo up && mount --bind "$0" /etc/hosts && exec "$@"', hosts, process.execPath, '--import', 'tsx', RUNNER, configFile],
    { timeoutMs: 240_000 },
  );
  out = JSON.parse(stdout) as DevNetnsOutput;
});

test.after.always(async () => {
  if (dir) await removeDir(dir);
});

test('dev --kerberos prints the commands for FreeIPA\'s CLI, and none of its secrets', async (t) => {
  t.regex(out.devStdout, /export KRB5_CONFIG=\S+\/krb5\.conf KRB5CCNAME=FILE:\S+ IPA_CONFDIR=\S+\/ipa/);
  t.regex(out.devStdout, /^ {4}python3 -m ipaclient host-find$/m);
  t.notRegex(out.devStdout, /ipalib only connects to port 443/, 'no caveat when started as ipalib needs');
  t.is(out.join.status, 200, `${JSON.stringify(out.join.body)}\n${out.devStdout}\n${out.devStderr}`);
  t.false(out.devStdout.includes(out.join.body['ipaotp'] ?? '<none>'));
  const password = (await readFile(join(dir, 'dev', 'admin.password'), 'utf8')).trim();
  t.false(out.devStdout.includes(password) || out.devStderr.includes(password));
});

test('kinit admin with the password dev wrote gets a ticket from dev\'s KDC', (t) => {
  t.is(out.kinit.code, 0, out.kinit.stderr);
});

test('ipalib\'s host-find and host-show see the enrolled host with novajoin\'s binding', (t) => {
  t.is(out.hostFind.code, 0, out.hostFind.stderr);
  // FreeIPA's own server is a host too, as in any real deployment.
  t.regex(out.hostFind.stdout, /^2 hosts matched$/m, out.hostFind.stdout);
  t.regex(out.hostFind.stdout, new RegExp(`^  Host name: ${ipaName.replaceAll('.', '\\.')}$`, 'm'));
  t.regex(out.hostFind.stdout, new RegExp(`^  Host name: ${fqdn.replaceAll('.', '\\.')}$`, 'm'));
  t.regex(out.hostFind.stdout, /^  Description: novajoin:v1 instance=[0-9a-f-]{36} project=demo gen=\d+ issued=\d+$/m);
  t.is(out.hostShow.code, 0, out.hostShow.stderr);
  t.regex(out.hostShow.stdout, new RegExp(`^  Host name: ${fqdn.replaceAll('.', '\\.')}$`, 'm'));
  t.regex(out.hostShow.stdout, /^  Password: True$/m, out.hostShow.stdout);
});

test('dev stops its KDC when it stops', (t) => {
  t.is(out.devExit, 0);
  t.false(out.kdcAnswersAfterStop);
});

test('dev --kerberos without krb5kdc says which Debian packages to install (exit 1, no stack trace)', async (t) => {
  // A private mount namespace where /usr/sbin/krb5kdc is /dev/null, which cannot be run.
  const res = await runCommand(
    'unshare',
    ['-rm', 'sh', '-c', 'mount --bind /dev/null /usr/sbin/krb5kdc && exec "$@"', 'sh', process.execPath, join(await builtPackage(), 'dist', 'bin', 'novajoin.js'),
      'dev', '--kerberos', '--no-notify', '--port', String(await freePort()), '--dir', join(dir, 'missing')],
    { allowFailure: true, timeoutMs: 60_000, env: { PATH: '/usr/bin:/bin' } },
  );
  t.is(res.code, 1, res.stderr);
  t.regex(res.stderr, /^novajoin dev: --kerberos .*krb5kdc .*not installed.*krb5-kdc krb5-admin-server/m);
  t.notRegex(res.stderr, /\n\s+at /);
  t.is(res.stdout, '');
});
