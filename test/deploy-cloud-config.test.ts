/**
 * The static vendordata file (config/cloud-config-novajoin.json) and the guest
 * script it installs. The cloud-config is checked by Debian's cloud-init
 * itself (`cloud-init schema`, and cloud-init's own code to turn Nova's
 * vendor_data.json into the cloud-config); the script is run under dash and
 * bash, traced and not, in a fake guest: a config drive directory or a real
 * HTTP metadata service, and a stub ipa-client-install that records what it
 * was given. The point is that the OTP reaches ipa-client-install and
 * nothing else: not the log, not the environment, not a leftover file.
 */
import test, { type ExecutionContext } from 'ava';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chmod, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { makeTempDir, removeDir, runCommand } from './support/tmp.js';
import { CLOUD_CONFIG, GUEST_SCRIPT, GUEST_SCRIPT_PATH, generatedFiles, renderCloudConfigYaml } from '../scripts/gen-cloud-config.js';
import { REPO } from '../scripts/generated.js';

// Debian's cloud-init runs on the system python3, not whatever python3 is first on PATH.
const SYSTEM_PYTHON = '/usr/bin/python3';
const OTP = 'Zq7-OTP-never-in-a-log-9f2c';
const VENDOR_DATA = {
  static: {},
  join: { hostname: 'vm1.example.test', krb_realm: 'EXAMPLE.TEST', ipaotp: OTP },
};

test('the committed cloud-config is what scripts/gen-cloud-config.ts generates', async (t) => {
  for (const [path, content] of generatedFiles()) {
    t.is(await readFile(join(REPO, path), 'utf8'), content, `${path} is stale: run npx tsx scripts/gen-cloud-config.ts`);
  }
});

test('cloud-init schema accepts the cloud-config, and rejects a broken one', async (t) => {
  const dir = await makeTempDir('novajoin-cc');
  t.teardown(() => removeDir(dir));
  const json = JSON.parse(await readFile(join(REPO, CLOUD_CONFIG), 'utf8')) as Record<string, unknown>;
  t.deepEqual(Object.keys(json), ['cloud-init']);
  const yaml = json['cloud-init'];
  if (typeof yaml !== 'string') throw new Error('"cloud-init" is not a string');
  t.true(yaml.startsWith('#cloud-config\n'));

  const file = join(dir, 'cloud-config.yaml');
  await writeFile(file, yaml);
  const ok = await runCommand('cloud-init', ['schema', '--config-file', file], { allowFailure: true });
  t.is(ok.code, 0, ok.stderr + ok.stdout);
  t.regex(ok.stdout, /Valid cloud-config/);

  // The same check fails on a cloud-config with a schema error, so it is not vacuous.
  const broken = join(dir, 'broken.yaml');
  await writeFile(broken, yaml.replace("permissions: '0700'", 'permissions: 0700'));
  const bad = await runCommand('cloud-init', ['schema', '--config-file', broken], { allowFailure: true });
  t.not(bad.code, 0);
});

test('cloud-init reads the Nova vendor_data.json into a root-only per-instance script, with no runcmd', async (t) => {
  // cloud-init's own conversion of Nova's StaticJSON (vendor_data.json) and its YAML loader.
  const program = [
    'import json, sys',
    'from cloudinit.sources import convert_vendordata',
    'from cloudinit import util',
    'cfg = util.load_yaml(convert_vendordata(json.load(open(sys.argv[1]))))',
    'json.dump(cfg, sys.stdout)',
  ].join('\n');
  const result = await runCommand(SYSTEM_PYTHON, ['-c', program, join(REPO, CLOUD_CONFIG)]);
  const cfg = JSON.parse(result.stdout) as { write_files: Array<Record<string, string>>; runcmd?: unknown };
  t.is(cfg.runcmd, undefined, 'a vendor runcmd is replaced by any user-data runcmd');
  t.is(cfg.write_files.length, 1);
  const entry = cfg.write_files[0]!;
  t.is(entry.path, GUEST_SCRIPT_PATH);
  t.is(entry.permissions, '0700');
  t.is(entry.owner, 'root:root');
  t.is(entry.content, await readFile(join(REPO, GUEST_SCRIPT), 'utf8'));
  t.false(/\bsh -x\b|set -x/.test(entry.content!.replace(/^#.*$/gm, '')), 'no tracing outside comments');
});

test('the guest script parses under bash -n and sh -n', async (t) => {
  const script = join(REPO, GUEST_SCRIPT);
  for (const shell of ['bash', 'sh', 'dash']) {
    const r = await runCommand(shell, ['-n', script], { allowFailure: true });
    t.is(r.code, 0, `${shell} -n: ${r.stderr}`);
  }
  t.throws(() => renderCloudConfigYaml('#!/bin/sh\n\techo tab\n'), { message: /tabs/ });
});

// ---- the script in a fake guest

interface Guest {
  readonly dir: string;
  readonly script: string;
  readonly log: string;
  readonly tmp: string;
  readonly stub: string;
  readonly configDrive: string;
}

/** A private guest: the script as cloud-init would write it, a stub ipa-client-install, empty TMPDIR. */
async function makeGuest(t: ExecutionContext, stubExit = 0): Promise<Guest> {
  const dir = await makeTempDir('novajoin-guest');
  t.teardown(() => removeDir(dir));
  const bin = join(dir, 'bin');
  const tmp = join(dir, 'tmp');
  const stub = join(dir, 'stub');
  const configDrive = join(dir, 'config-drive');
  for (const d of [bin, tmp, stub, configDrive]) await mkdir(d);
  const script = join(dir, 'novajoin-enroll');
  await writeFile(script, await readFile(join(REPO, GUEST_SCRIPT), 'utf8'), { mode: 0o700 });
  await writeFile(
    join(bin, 'ipa-client-install'),
    [
      '#!/bin/sh',
      `n=$(ls "${stub}" | grep -c '^args') || true`,
      `printf '%s\\n' "$@" > "${stub}/args.$n"`,
      `env > "${stub}/env.$n"`,
      'echo "stub ipa-client-install: joining"',
      `exit ${stubExit}`,
      '',
    ].join('\n'),
  );
  await chmod(join(bin, 'ipa-client-install'), 0o755);
  return { dir, script, log: join(dir, 'novajoin-enroll.log'), tmp, stub, configDrive };
}

async function writeConfigDrive(guest: Guest, version: string, data: unknown): Promise<void> {
  await mkdir(join(guest.configDrive, 'openstack', version), { recursive: true });
  await writeFile(join(guest.configDrive, 'openstack', version, 'vendor_data2.json'), JSON.stringify(data));
}

interface Run {
  readonly code: number;
  readonly output: string;
  readonly log: string;
  readonly calls: string[][];
  readonly envs: string[];
  readonly leftovers: string[];
}

async function runGuest(guest: Guest, shell: readonly string[], env: Record<string, string>): Promise<Run> {
  const result = await runCommand(shell[0]!, [...shell.slice(1), guest.script], {
    allowFailure: true,
    timeoutMs: 90_000,
    env: {
      PATH: `${join(guest.dir, 'bin')}:${process.env.PATH ?? '/usr/bin:/bin'}`,
      TMPDIR: guest.tmp,
      NOVAJOIN_LOG: guest.log,
      NOVAJOIN_IPA_DEFAULT_CONF: join(guest.dir, 'etc-ipa-default.conf'),
      NOVAJOIN_CONFIG_DRIVE_DIR: guest.configDrive,
      NOVAJOIN_METADATA_URL: 'http://127.0.0.1:9/openstack',
      NOVAJOIN_TRIES: '2',
      NOVAJOIN_SLEEP_MAX: '1',
      NOVAJOIN_HTTP_TIMEOUT: '5',
      NOVAJOIN_INSTALL_CLIENT: 'no',
      ...env,
    },
  });
  const stubFiles = (await readdir(guest.stub)).sort();
  const calls: string[][] = [];
  const envs: string[] = [];
  for (const f of stubFiles) {
    const text = await readFile(join(guest.stub, f), 'utf8');
    if (f.startsWith('args')) calls.push(text.replace(/\n$/, '').split('\n'));
    else envs.push(text);
  }
  let log = '';
  try {
    log = await readFile(guest.log, 'utf8');
  } catch {
    log = '';
  }
  return { code: result.code, output: result.stdout + result.stderr, log, calls, envs, leftovers: await readdir(guest.tmp) };
}

function assertNoSecret(t: ExecutionContext, run: Run): void {
  t.false(run.log.includes(OTP), 'OTP in the log');
  t.false(run.output.includes(OTP), 'OTP on stdout/stderr');
  for (const e of run.envs) t.false(e.includes(OTP), 'OTP in the environment of ipa-client-install');
}

const EXPECTED_ARGS = ['-U', '--hostname', 'vm1.example.test', '--realm', 'EXAMPLE.TEST', '--password', OTP];

for (const shell of [['sh'], ['bash'], ['sh', '-x'], ['bash', '-x'], ['sh', '-xv']]) {
  test.serial(`config drive: ${shell.join(' ')} hands the OTP to ipa-client-install and to nothing else`, async (t) => {
    const guest = await makeGuest(t);
    await writeConfigDrive(guest, 'latest', VENDOR_DATA);
    const run = await runGuest(guest, shell, {});
    t.is(run.code, 0, run.log + run.output);
    t.deepEqual(run.calls, [EXPECTED_ARGS]);
    assertNoSecret(t, run);
    t.deepEqual(run.leftovers, [], 'the work directory is removed');
    t.regex(run.log, /read vendor_data2\.json from the config drive/);
    t.regex(run.log, /enrolled vm1\.example\.test in EXAMPLE\.TEST/);
    t.regex(run.log, /stub ipa-client-install: joining/, 'ipa-client-install output goes to the log');
    t.is((await stat(guest.log)).mode & 0o777, 0o600, 'the log is private');
  });
}

test('config drive with only 2016-10-06 is read too', async (t) => {
  const guest = await makeGuest(t);
  await writeConfigDrive(guest, '2016-10-06', VENDOR_DATA);
  const run = await runGuest(guest, ['sh'], {});
  t.is(run.code, 0, run.log);
  t.deepEqual(run.calls, [EXPECTED_ARGS]);
});

test('config drive on a real block device, found by label: mounted read-only in the private directory, then unmounted', async (t) => {
  const guest = await makeGuest(t);
  // A small filesystem labelled like a config drive (Nova's are iso9660 or
  // vfat; the script lets mount detect the type), on a loop device.
  const label = `njt-${Math.random().toString(16).slice(2, 8)}`;
  const source = join(guest.dir, 'drive-src');
  await mkdir(join(source, 'openstack', 'latest'), { recursive: true });
  await writeFile(join(source, 'openstack', 'latest', 'vendor_data2.json'), JSON.stringify(VENDOR_DATA));
  const image = join(guest.dir, 'config-drive.img');
  await writeFile(image, Buffer.alloc(4 * 1024 * 1024));
  await runCommand('mkfs.ext4', ['-q', '-L', label, '-d', source, image]);
  const loop = (await runCommand('losetup', ['--find', '--show', image])).stdout.trim();
  t.teardown(async () => {
    await runCommand('losetup', ['-d', loop], { allowFailure: true });
  });
  // mount is wrapped to record its arguments, then the real one runs.
  await writeFile(join(guest.dir, 'bin', 'mount'), `#!/bin/sh\nprintf '%s\\n' "$*" >> "${join(guest.dir, 'mount.log')}"\nexec /usr/bin/mount "$@"\n`);
  await chmod(join(guest.dir, 'bin', 'mount'), 0o755);

  const run = await runGuest(guest, ['sh'], { NOVAJOIN_CONFIG_DRIVE_DIR: '', NOVAJOIN_CONFIG_DRIVE_LABEL: label });
  t.is(run.code, 0, run.log + run.output);
  t.deepEqual(run.calls, [EXPECTED_ARGS]);
  t.regex(run.log, /read vendor_data2\.json from the config drive/);
  const mounts = (await readFile(join(guest.dir, 'mount.log'), 'utf8')).trim().split('\n');
  t.is(mounts.length, 1);
  t.regex(mounts[0]!, new RegExp(`^-o ro,nosuid,nodev,noexec ${loop} ${guest.tmp}/novajoin-enroll\\.\\w+/config-drive$`));
  t.false((await readFile('/proc/self/mountinfo', 'utf8')).includes(guest.tmp), 'still mounted');
  t.deepEqual(run.leftovers, []);
  assertNoSecret(t, run);
});

test('nothing to do: no join, an empty join, or already enrolled', async (t) => {
  for (const data of [{ static: {} }, { join: {} }]) {
    const guest = await makeGuest(t);
    await writeConfigDrive(guest, 'latest', data);
    const run = await runGuest(guest, ['sh'], {});
    t.is(run.code, 0, run.log);
    t.deepEqual(run.calls, []);
    t.regex(run.log, /no join\.ipaotp .*nothing to do/);
    t.deepEqual(run.leftovers, []);
  }
  const guest = await makeGuest(t);
  await writeConfigDrive(guest, 'latest', VENDOR_DATA);
  await writeFile(join(guest.dir, 'etc-ipa-default.conf'), '[global]\n');
  const run = await runGuest(guest, ['sh'], {});
  t.is(run.code, 0);
  t.deepEqual(run.calls, []);
  t.regex(run.log, /already a FreeIPA client/);
});

test('an OTP without a valid hostname or realm, or a malformed file, is refused without leaking the OTP', async (t) => {
  const cases: Array<[unknown, RegExp]> = [
    [{ join: { krb_realm: 'EXAMPLE.TEST', ipaotp: OTP } }, /no valid hostname/],
    [{ join: { hostname: 'vm1.example.test', ipaotp: OTP } }, /no valid krb_realm/],
    [{ join: { hostname: 'vm1; rm -rf /', krb_realm: 'EXAMPLE.TEST', ipaotp: OTP } }, /no valid hostname/],
    [{ join: { hostname: 'vm1.example.test', krb_realm: 'EXAMPLE.TEST', ipaotp: `${OTP} --server evil` } }, /malformed/],
    [{ join: { hostname: 'vm1.example.test', krb_realm: 'EXAMPLE.TEST', ipaotp: 42 } }, /malformed/],
  ];
  for (const [data, message] of cases) {
    const guest = await makeGuest(t);
    await writeConfigDrive(guest, 'latest', data);
    const run = await runGuest(guest, ['bash', '-x'], {});
    t.is(run.code, 1, run.log);
    t.deepEqual(run.calls, []);
    t.regex(run.log, message);
    assertNoSecret(t, run);
    t.deepEqual(run.leftovers, []);
  }
  const guest = await makeGuest(t);
  await mkdir(join(guest.configDrive, 'openstack', 'latest'), { recursive: true });
  await writeFile(join(guest.configDrive, 'openstack', 'latest', 'vendor_data2.json'), `{"join": {"ipaotp": "${OTP}"`);
  const run = await runGuest(guest, ['sh'], {});
  t.is(run.code, 1);
  t.regex(run.log, /not JSON/);
  assertNoSecret(t, run);
});

test('a failing ipa-client-install fails the script, still without the OTP in the log', async (t) => {
  const guest = await makeGuest(t, 3);
  await writeConfigDrive(guest, 'latest', VENDOR_DATA);
  const run = await runGuest(guest, ['sh', '-x'], {});
  t.is(run.code, 3);
  t.deepEqual(run.calls, [EXPECTED_ARGS]);
  t.regex(run.log, /ipa-client-install failed with status 3/);
  assertNoSecret(t, run);
  t.deepEqual(run.leftovers, []);
});

// ---- metadata service

interface MetadataService {
  readonly url: string;
  readonly requests: string[];
  close(): Promise<void>;
}

/** A real HTTP metadata service; `answer` decides each response by path and request count. */
async function startMetadata(answer: (path: string, n: number) => [number, string]): Promise<MetadataService> {
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    const path = req.url ?? '';
    requests.push(path);
    const [status, body] = answer(path, requests.length);
    res.writeHead(status, { 'Content-Type': 'application/json' });
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/openstack`,
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

test('metadata service: transient failures are retried, then the OTP is used', async (t) => {
  const md = await startMetadata((_path, n) => (n <= 2 ? [503, 'busy'] : [200, JSON.stringify(VENDOR_DATA)]));
  t.teardown(() => md.close());
  const guest = await makeGuest(t);
  // No config drive: probing finds no such label; the directory override is off.
  const run = await runGuest(guest, ['sh', '-x'], {
    NOVAJOIN_CONFIG_DRIVE_DIR: '',
    NOVAJOIN_CONFIG_DRIVE_LABEL: 'novajoin-test-no-such-label',
    NOVAJOIN_METADATA_URL: md.url,
    NOVAJOIN_TRIES: '5',
  });
  t.is(run.code, 0, run.log + run.output);
  t.deepEqual(md.requests, Array(3).fill('/openstack/latest/vendor_data2.json'));
  t.deepEqual(run.calls, [EXPECTED_ARGS]);
  t.is(run.log.match(/did not answer \(try \d of 5\), retrying in [01]s/g)?.length, 2);
  t.regex(run.log, /from the metadata service/);
  assertNoSecret(t, run);
  t.deepEqual(run.leftovers, []);
});

test('metadata service: a config drive without vendor_data2.json falls back to it; 2016-10-06 when latest is missing', async (t) => {
  const md = await startMetadata((path) =>
    path.includes('/2016-10-06/') ? [200, JSON.stringify(VENDOR_DATA)] : [404, '{}'],
  );
  t.teardown(() => md.close());
  const guest = await makeGuest(t);
  const run = await runGuest(guest, ['bash'], { NOVAJOIN_METADATA_URL: md.url });
  t.is(run.code, 0, run.log);
  t.deepEqual(md.requests, ['/openstack/latest/vendor_data2.json', '/openstack/2016-10-06/vendor_data2.json']);
  t.deepEqual(run.calls, [EXPECTED_ARGS]);
});

test('metadata service: no vendor_data2.json anywhere is nothing to do; no answer at all gives up after the bounded tries', async (t) => {
  const md = await startMetadata(() => [404, 'not found']);
  t.teardown(() => md.close());
  const guest = await makeGuest(t);
  const run = await runGuest(guest, ['sh'], { NOVAJOIN_METADATA_URL: md.url });
  t.is(run.code, 0, run.log);
  t.regex(run.log, /serves no vendor_data2\.json: nothing to do/);
  t.deepEqual(run.calls, []);

  const down = await makeGuest(t);
  // Port 9 on loopback: connection refused at once.
  const refused = await runGuest(down, ['sh'], { NOVAJOIN_TRIES: '3' });
  t.is(refused.code, 1);
  t.regex(refused.log, /did not answer after 3 tries/);
  t.is(refused.log.match(/retrying in/g)?.length, 2);
  t.deepEqual(refused.calls, []);
  t.deepEqual(refused.leftovers, []);
});

test('a name without an OTP (a config drive built before the rebuild was handled): the metadata service is asked again until the OTP comes', async (t) => {
  const noOtp = { static: {}, join: { hostname: 'vm1.example.test', krb_realm: 'EXAMPLE.TEST' } };
  const md = await startMetadata((_path, n) => [200, JSON.stringify(n <= 2 ? noOtp : VENDOR_DATA)]);
  t.teardown(() => md.close());
  const guest = await makeGuest(t);
  await writeConfigDrive(guest, 'latest', noOtp);
  const run = await runGuest(guest, ['sh', '-x'], { NOVAJOIN_METADATA_URL: md.url, NOVAJOIN_OTP_TRIES: '5' });
  t.is(run.code, 0, run.log + run.output);
  t.is(md.requests.length, 3);
  t.deepEqual(run.calls, [EXPECTED_ARGS]);
  t.is(run.log.match(/gave no OTP yet .*round \d of 5/g)?.length, 3);
  assertNoSecret(t, run);
  t.deepEqual(run.leftovers, []);
});

test('a name without an OTP that stays so gives up after the bounded rounds; join gone means nothing to do', async (t) => {
  const noOtp = { join: { hostname: 'vm1.example.test', krb_realm: 'EXAMPLE.TEST' } };
  const md = await startMetadata(() => [200, JSON.stringify(noOtp)]);
  t.teardown(() => md.close());
  const guest = await makeGuest(t);
  await writeConfigDrive(guest, 'latest', noOtp);
  const run = await runGuest(guest, ['sh'], { NOVAJOIN_METADATA_URL: md.url, NOVAJOIN_OTP_TRIES: '2' });
  t.is(run.code, 1);
  t.is(md.requests.length, 2);
  t.regex(run.log, /gave no OTP after 2 rounds/);
  t.deepEqual(run.calls, []);

  const gone = await startMetadata(() => [200, JSON.stringify({ join: {} })]);
  t.teardown(() => gone.close());
  const other = await makeGuest(t);
  await writeConfigDrive(other, 'latest', noOtp);
  const done = await runGuest(other, ['sh'], { NOVAJOIN_METADATA_URL: gone.url });
  t.is(done.code, 0, done.log);
  t.regex(done.log, /no join\.ipaotp .*nothing to do/);
});
