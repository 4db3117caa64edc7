/**
 * The installable package, installed as the README tells operators:
 * `npm pack`, then `npm install -g --allow-scripts=kerberos --prefix /usr`
 * (here under an empty temporary root). The tarball ships the systemd units,
 * sysusers/tmpfiles files, the puppet module and the bash completion; npm
 * prints no warning an operator would have to act on; the units' ExecStart
 * binaries are where that install puts them; the three commands run without
 * development dependencies.
 */
import test from 'ava';
import { accessSync, constants, existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { makeTempDir, removeDir, runCommand } from './support/tmp.js';

const root = new URL('..', import.meta.url).pathname;

test('npm pack ships the deployment files; npm install -g puts the binaries where the units run them, warning-free', async (t) => {
  t.timeout(900_000, 'npm pack and npm install -g build the package and the Kerberos addon: minutes on a loaded machine');
  const dir = await makeTempDir('novajoin-pack');
  t.teardown(() => removeDir(dir));
  await runCommand('npm', ['pack', '--pack-destination', dir, '--silent'], { cwd: root, timeoutMs: 300_000 });
  const tarball = (await readdir(dir)).find((f) => f.endsWith('.tgz'));
  t.truthy(tarball, 'npm pack made a tarball');
  const listing = (await runCommand('tar', ['tzf', join(dir, tarball!)])).stdout.split('\n');
  for (const file of [
    'systemd/novajoin-server.service',
    'systemd/novajoin-notify.service',
    'systemd/novajoin.sysusers',
    'systemd/novajoin.tmpfiles',
    'puppet/manifests/init.pp',
    'puppet/metadata.json',
    'completion/novajoin.bash',
    'config/join.conf.sample',
  ]) {
    t.true(listing.includes(`package/${file}`), `the tarball has ${file}`);
  }

  // The system root the package is installed into: --prefix <sysroot>/usr is what --prefix /usr does on a host.
  const sysroot = join(dir, 'root');
  const install = await runCommand(
    'npm',
    ['install', '-g', '--allow-scripts=kerberos', '--prefix', join(sysroot, 'usr'), '--no-audit', '--no-fund', '--prefer-offline', join(dir, tarball!)],
    { cwd: dir, timeoutMs: 600_000 },
  );
  const printed = `${install.stdout}\n${install.stderr}`;
  t.notRegex(printed, /npm warn|npm WARN|npm error/i, `npm install -g printed:\n${printed}`);

  const installed = join(sysroot, 'usr', 'lib', 'node_modules', 'novajoin');
  const modules = join(installed, 'node_modules');
  t.false(existsSync(join(modules, 'ava')), 'no test runner installed');
  t.false(existsSync(join(modules, 'typescript')), 'no compiler installed');
  t.false(existsSync(join(modules, 'tsx')), 'no TypeScript loader installed');

  for (const unit of ['novajoin-server', 'novajoin-notify']) {
    const text = await readFile(join(installed, 'systemd', `${unit}.service`), 'utf8');
    const exec = /^ExecStart=(\S+)/m.exec(text)?.[1] ?? '';
    t.is(exec, `/usr/bin/${unit}`, `${unit}.service runs /usr/bin/${unit}`);
    t.notThrows(() => accessSync(join(sysroot, exec), constants.X_OK), `${exec} is installed and executable`);
  }

  const version = (JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as { version: string }).version;
  for (const bin of ['novajoin-server', 'novajoin-notify', 'novajoin']) {
    const path = join(sysroot, 'usr', 'bin', bin);
    const help = await runCommand(path, ['--help'], { cwd: dir, timeoutMs: 60_000 });
    t.regex(help.stdout, /Usage: novajoin/, `${bin} --help`);
    const shown = await runCommand(path, ['--version'], { cwd: dir, timeoutMs: 60_000 });
    t.is(shown.stdout.trim(), version, `${bin} --version`);
  }
  const sample = await runCommand(join(sysroot, 'usr', 'bin', 'novajoin'), ['sample-config'], { cwd: dir, timeoutMs: 60_000 });
  t.regex(sample.stdout, /#join_listen_port = 9090/);
  const completion = await runCommand(join(sysroot, 'usr', 'bin', 'novajoin'), ['completion', 'bash'], { cwd: dir, timeoutMs: 60_000 });
  t.is(completion.stdout, await readFile(join(installed, 'completion', 'novajoin.bash'), 'utf8'));
});
