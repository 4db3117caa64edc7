/**
 * The installable package: `npm pack`, installed into an empty prefix with no
 * development dependency, gives the three commands, and they run.
 */
import test from 'ava';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { makeTempDir, removeDir, runCommand } from './support/tmp.js';

const root = new URL('..', import.meta.url).pathname;

test('npm pack installs into an empty prefix and its three commands run without dev dependencies', async (t) => {
  const dir = await makeTempDir('novajoin-pack');
  t.teardown(() => removeDir(dir));
  await runCommand('npm', ['pack', '--pack-destination', dir, '--silent'], { cwd: root, timeoutMs: 300_000 });
  const tarball = (await readdir(dir)).find((f) => f.endsWith('.tgz'));
  t.truthy(tarball, 'npm pack made a tarball');
  const prefix = join(dir, 'prefix');
  await runCommand('npm', ['install', '--prefix', prefix, '--omit=dev', '--no-audit', '--no-fund', '--prefer-offline', join(dir, tarball!)], {
    cwd: dir,
    timeoutMs: 600_000,
  });
  const installed = join(prefix, 'node_modules');
  t.false(existsSync(join(installed, 'ava')), 'no test runner installed');
  t.false(existsSync(join(installed, 'typescript')), 'no compiler installed');
  t.false(existsSync(join(installed, 'tsx')), 'no TypeScript loader installed');
  const version = (JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as { version: string }).version;
  for (const bin of ['novajoin-server', 'novajoin-notify', 'novajoin']) {
    const path = join(installed, '.bin', bin);
    const help = await runCommand(path, ['--help'], { cwd: dir, timeoutMs: 30_000 });
    t.regex(help.stdout, /Usage: novajoin/, `${bin} --help`);
    const shown = await runCommand(path, ['--version'], { cwd: dir, timeoutMs: 30_000 });
    t.is(shown.stdout.trim(), version, `${bin} --version`);
  }
  const sample = await runCommand(join(installed, '.bin', 'novajoin'), ['sample-config'], { cwd: dir, timeoutMs: 30_000 });
  t.regex(sample.stdout, /#join_listen_port = 9090/);
});
