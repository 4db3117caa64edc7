/**
 * systemd/: the two service units, sysusers.d and tmpfiles.d entries.
 *
 * `systemd-analyze verify` refuses a unit whose ExecStart binary does not
 * exist, and /usr/bin/novajoin-* is not installed on a test machine; so each
 * unit is copied into a temporary directory with only its ExecStart path
 * rewritten to a stub there. verify exits 0 even for unknown keys or values it
 * cannot parse (it prints a warning and ignores them), so "passes" means exit
 * 0 AND no diagnostics at all. The security exposure scores are logged, not
 * asserted.
 */
import test, { type ExecutionContext } from 'ava';
import { chmod, copyFile, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { OPTIONS } from '../src/config/defaults.js';
import { REPO } from '../scripts/generated.js';
import { makeTempDir, removeDir, runCommand } from './support/tmp.js';

const UNITS = ['novajoin-server', 'novajoin-notify'] as const;

async function tempDir(t: ExecutionContext, prefix: string): Promise<string> {
  const dir = await makeTempDir(prefix);
  t.teardown(() => removeDir(dir));
  return dir;
}

/** The unit as shipped, with ExecStart pointed at an executable stub in `dir`. */
async function stageUnit(dir: string, unit: string, edit: (text: string) => string = (s) => s): Promise<string> {
  const text = await readFile(join(REPO, 'systemd', `${unit}.service`), 'utf8');
  const shipped = `ExecStart=/usr/bin/${unit} --config-file /etc/novajoin/join.conf`;
  if (!text.includes(`\n${shipped}\n`)) throw new Error(`${unit}: ExecStart is not "${shipped}"`);
  const stub = join(dir, unit);
  await writeFile(stub, '#!/bin/sh\nexit 0\n');
  await chmod(stub, 0o755);
  const path = join(dir, `${unit}.service`);
  await writeFile(path, edit(text.replace(shipped, `ExecStart=${stub} --config-file /etc/novajoin/join.conf`)));
  return path;
}

async function verify(unitPath: string): Promise<{ code: number; diagnostics: string }> {
  const r = await runCommand('systemd-analyze', ['verify', unitPath], { allowFailure: true, env: { SYSTEMD_LOG_COLOR: '0' } });
  return { code: r.code, diagnostics: (r.stdout + r.stderr).trim() };
}

/** `Key=value` lines of the [Service] (or given) section; repeated keys keep every value. */
function directives(text: string, section = 'Service'): Map<string, string[]> {
  const map = new Map<string, string[]>();
  let current = '';
  for (const line of text.split('\n')) {
    const header = /^\[(.+)\]$/.exec(line);
    if (header) {
      current = header[1]!;
      continue;
    }
    const pair = /^([A-Za-z]+)=(.*)$/.exec(line);
    if (!pair || current !== section) continue;
    map.set(pair[1]!, [...(map.get(pair[1]!) ?? []), pair[2]!]);
  }
  return map;
}

for (const unit of UNITS) {
  test(`${unit}.service: systemd-analyze verify passes with no diagnostics`, async (t) => {
    const dir = await tempDir(t, `novajoin-${unit}`);
    const path = await stageUnit(dir, unit);
    const result = await verify(path);
    t.is(result.code, 0, result.diagnostics);
    t.is(result.diagnostics, '');

    // The same check catches a bad directive and a missing binary, so it is not vacuous.
    const badDir = await tempDir(t, `novajoin-${unit}-bad`);
    const bad = await verify(await stageUnit(badDir, unit, (s) => s.replace('Type=simple', 'Type=simple\nBogusKey=1')));
    t.regex(bad.diagnostics, /Unknown key 'BogusKey'/);
    const shipped = await verify(join(REPO, 'systemd', `${unit}.service`));
    t.not(shipped.code, 0, 'verify of the shipped unit needs /usr/bin/novajoin-*, absent here');
  });

  test(`${unit}.service: runs as novajoin with the hardening, no capabilities, and W^X left off for V8`, async (t) => {
    const text = await readFile(join(REPO, 'systemd', `${unit}.service`), 'utf8');
    const d = directives(text);
    const one = (key: string) => d.get(key)?.join('\n');
    t.is(one('ExecStart'), `/usr/bin/${unit} --config-file /etc/novajoin/join.conf`);
    t.is(one('User'), 'novajoin');
    t.is(one('Group'), 'novajoin');
    t.is(one('Type'), 'simple');
    t.is(one('Restart'), 'on-failure');
    t.is(one('RestartPreventExitStatus'), '2', 'a configuration error (exit 2) is not restarted in a loop');
    t.is(one('UMask'), '0077');
    t.is(one('RuntimeDirectory'), 'novajoin');
    t.is(one('CapabilityBoundingSet'), '');
    t.is(one('AmbientCapabilities'), '');
    t.is(one('ProtectSystem'), 'strict');
    t.is(one('RestrictAddressFamilies'), 'AF_INET AF_INET6 AF_UNIX');
    t.deepEqual(d.get('SystemCallFilter'), ['@system-service', '~@privileged']);
    for (const key of [
      'NoNewPrivileges', 'ProtectHome', 'PrivateTmp', 'PrivateDevices', 'ProtectKernelTunables', 'ProtectKernelModules',
      'ProtectKernelLogs', 'ProtectControlGroups', 'ProtectClock', 'ProtectHostname', 'RestrictNamespaces',
      'RestrictRealtime', 'RestrictSUIDSGID', 'LockPersonality',
    ]) {
      t.is(one(key), 'yes', key);
    }
    t.false(d.has('MemoryDenyWriteExecute'), "Node's JIT needs writable+executable memory");
    t.false(d.has('ReadWritePaths'), 'RuntimeDirectory is the only writable place');
    // systemd must not SIGKILL before the drain is over.
    const drain = OPTIONS.find((s) => s.section === 'notifications' && s.name === 'drain_timeout')!.default as number;
    const stopSec = Number(/^(\d+)s$/.exec(one('TimeoutStopSec') ?? '')?.[1]);
    t.true(stopSec > drain, `TimeoutStopSec ${stopSec}s must exceed drain_timeout ${drain}s`);
    const unitSection = directives(text, 'Unit');
    t.true(unitSection.get('After')?.join(' ').includes('network-online.target'));
    t.deepEqual(unitSection.get('Wants'), ['network-online.target']);
    if (unit === 'novajoin-notify') t.true(unitSection.get('After')!.join(' ').includes('rabbitmq-server.service'));
    t.deepEqual(directives(text, 'Install').get('WantedBy'), ['multi-user.target']);
  });

  test(`${unit}.service: systemd-analyze security --offline score (logged)`, async (t) => {
    const dir = await tempDir(t, `novajoin-${unit}-sec`);
    const path = await stageUnit(dir, unit);
    const r = await runCommand('systemd-analyze', ['security', '--offline=true', '--no-pager', path], { allowFailure: true, env: { SYSTEMD_LOG_COLOR: '0' } });
    const overall = /Overall exposure level for \S+: ([\d.]+) (\w+)/.exec(r.stdout);
    t.truthy(overall, r.stdout + r.stderr);
    t.log(`${unit}: exposure ${overall?.[1]} ${overall?.[2]}`);
  });
}

test('sysusers.d creates the novajoin system user and group (systemd-sysusers --root)', async (t) => {
  const root = await tempDir(t, 'novajoin-sysusers');
  await mkdir(join(root, 'etc'));
  for (const f of ['passwd', 'group']) await copyFile(`/etc/${f}`, join(root, 'etc', f));
  await runCommand('systemd-sysusers', [`--root=${root}`, join(REPO, 'systemd', 'novajoin.sysusers')]);
  const passwd = (await readFile(join(root, 'etc', 'passwd'), 'utf8')).split('\n').find((l) => l.startsWith('novajoin:'));
  const group = (await readFile(join(root, 'etc', 'group'), 'utf8')).split('\n').find((l) => l.startsWith('novajoin:'));
  t.truthy(passwd);
  t.truthy(group);
  const [, , uid, gid, , home, shell] = passwd!.split(':');
  t.true(Number(uid) < 1000, 'a system uid');
  t.is(gid, group!.split(':')[2]);
  t.is(home, '/');
  t.is(shell, '/usr/sbin/nologin');
});

test('tmpfiles.d creates /etc/novajoin root:novajoin 0750 and /run/novajoin novajoin 0750 (systemd-tmpfiles --root)', async (t) => {
  const root = await tempDir(t, 'novajoin-tmpfiles');
  await mkdir(join(root, 'etc'));
  for (const f of ['passwd', 'group']) await copyFile(`/etc/${f}`, join(root, 'etc', f));
  await runCommand('systemd-sysusers', [`--root=${root}`, join(REPO, 'systemd', 'novajoin.sysusers')]);
  await runCommand('systemd-tmpfiles', ['--create', `--root=${root}`, join(REPO, 'systemd', 'novajoin.tmpfiles')]);
  const entry = (await readFile(join(root, 'etc', 'passwd'), 'utf8')).split('\n').find((l) => l.startsWith('novajoin:'))!;
  const fields = entry.split(':');
  const uid = Number(fields[2]);
  const gid = Number(fields[3]);
  const etc = await stat(join(root, 'etc', 'novajoin'));
  t.true(etc.isDirectory());
  t.is(etc.mode & 0o777, 0o750);
  t.is(etc.uid, 0);
  t.is(etc.gid, gid);
  const run = await stat(join(root, 'run', 'novajoin'));
  t.is(run.mode & 0o777, 0o750);
  t.is(run.uid, uid);
  t.is(run.gid, gid);
});
