/**
 * `novajoin dev`, then the operator's other commands pointed at the join.conf
 * it writes, all as built binaries (dist/bin): `novajoin check` passes every
 * line, and `novajoin resync` reads the stand-in Nova and the embedded
 * FreeIPA: in sync after two enrollments, one stale host after an instance
 * is deleted without a notification, removed by `--apply`, in sync again.
 */
import test from 'ava';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { runBuilt } from './support/built-cli.js';
import { startDev, stopDev, type DevProcess } from './support/dev-process.js';
import { freePort, makeTempDir, removeDir } from './support/tmp.js';

let dir: string;
let dev: DevProcess | undefined;

test.before(async () => {
  dir = await makeTempDir('novajoin-dev-resync');
});

test.after.always(async () => {
  if (dev) await stopDev(dev);
  if (dir) await removeDir(dir);
});

test('novajoin check and novajoin resync (dry run, --apply) work against novajoin dev', async (t) => {
  const port = await freePort();
  dev = await startDev(['--dir', join(dir, 'dev'), '--port', String(port), '--no-notify']);
  const confFile = dev.confFile;
  const nova = /Stand-in Nova: (\S+)\/servers\/detail/.exec(dev.stdout())?.[1];
  t.truthy(confFile, dev.stdout());
  t.truthy(nova, dev.stdout());
  t.regex(dev.stdout(), new RegExp(`novajoin resync --config-file ${confFile}`), 'dev prints the resync command');

  const instances = [randomUUID(), randomUUID()];
  for (const [i, id] of instances.entries()) {
    const res = await fetch(`http://127.0.0.1:${port}/v1/`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ 'project-id': 'demo', 'instance-id': id, 'image-id': '', hostname: `vm${i + 1}`, metadata: { ipa_enroll: 'true' } }),
    });
    t.is(res.status, 200);
    t.truthy(((await res.json()) as { ipaotp?: string }).ipaotp);
  }

  const check = await runBuilt('novajoin', ['check', '--config-file', confFile]);
  t.is(check.code, 0, check.stdout + check.stderr);
  t.notRegex(check.stdout, /^FAIL/m, check.stdout);
  t.regex(check.stdout, /^OK Nova lists the servers of all projects$/m);
  t.regex(check.stdout, /^OK resync reads FreeIPA's hosts and services through its API .*: 2 hosts of novajoin/m, check.stdout);

  const inSync = await runBuilt('novajoin', ['resync', '--config-file', confFile]);
  t.is(inSync.code, 0, inSync.stdout + inSync.stderr);
  t.regex(inSync.stdout, /Nova: 2 servers.*FreeIPA: 2 hosts.*Drift: none/s);

  // Deleted in Nova with no notification (dev runs no listener here): FreeIPA keeps vm2.
  const gone = await fetch(`${nova}/servers/${instances[1]}`, { method: 'DELETE' });
  t.is(gone.status, 204);
  const drift = await runBuilt('novajoin', ['resync', '--config-file', confFile]);
  t.is(drift.code, 1, 'drift found, nothing changed');
  t.regex(drift.stdout, new RegExp(`stale-host\\s+vm2\\.example\\.test\\s+${instances[1]}\\s+demo\\s+delete-host`));
  t.regex(drift.stdout, /Dry run, nothing changed/);

  const applied = await runBuilt('novajoin', ['resync', '--apply', '--config-file', confFile]);
  t.is(applied.code, 0, applied.stdout + applied.stderr);
  t.regex(applied.stdout, /delete-host\s+applied/);
  const after = await runBuilt('novajoin', ['resync', '--config-file', confFile]);
  t.is(after.code, 0);
  t.regex(after.stdout, /Nova: 1 servers.*FreeIPA: 1 hosts.*Drift: none/s);
  const checkAfter = await runBuilt('novajoin', ['check', '--config-file', confFile]);
  t.regex(checkAfter.stdout, /: 1 host of novajoin/, 'vm2 is gone from FreeIPA');
});
