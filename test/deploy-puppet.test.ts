/**
 * The puppet module (puppet/): generated parts up to date, manifests valid
 * and lint-clean, a production-like catalog applied with --noop, and the
 * join.conf template rendered by a real `puppet apply` into a temporary
 * directory and read back by our own loader: zero warnings, and every value
 * passed to the class found again in the configuration.
 */
import test, { type ExecutionContext } from 'ava';
import { chmod, mkdir, readFile, readdir, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { OPTIONS, type OptionSpec } from '../src/config/defaults.js';
import { defaultConfig, loadConfigText } from '../src/config/load.js';
import { parseIni } from '../src/config/ini.js';
import { parseValue, type OptionValue } from '../src/config/parse-value.js';
import { PUPPET_OPTIONS, generatedFiles, paramName } from '../scripts/gen-puppet.js';
import { REPO } from '../scripts/generated.js';
import { makeTempDir, removeDir, runCommand, type RunResult } from './support/tmp.js';

const PUPPET_TIMEOUT_MS = 100_000;
const UNITS = ['novajoin-server', 'novajoin-notify'] as const;

interface PuppetDirs {
  readonly dir: string;
  readonly modules: string;
}

/** A private puppet world: modulepath with novajoin -> puppet/, and its own conf, var and code dirs. */
async function puppetDirs(t: ExecutionContext): Promise<PuppetDirs> {
  const dir = await makeTempDir('novajoin-puppet');
  t.teardown(() => removeDir(dir));
  const modules = join(dir, 'modules');
  for (const d of [modules, join(dir, 'conf'), join(dir, 'var'), join(dir, 'code')]) await mkdir(d);
  await symlink(join(REPO, 'puppet'), join(modules, 'novajoin'));
  return { dir, modules };
}

/**
 * Facter cannot read /proc/1/environ in this container (not even as root) and
 * says so with an "Error:" line per fact; that is the machine, not the module.
 */
function significant(output: string): string[] {
  return output.split('\n').filter((line) => line.trim() !== '' && !/Facter: Permission denied @ rb_sysopen - \/proc\/1\/environ/.test(line));
}

async function puppetApply(dirs: PuppetDirs, manifest: string, noop: boolean): Promise<RunResult & { lines: string[] }> {
  const file = join(dirs.dir, `site-${Date.now()}.pp`);
  await writeFile(file, manifest);
  const args = [
    'apply',
    ...(noop ? ['--noop'] : []),
    '--detailed-exitcodes',
    '--color=false',
    '--modulepath', dirs.modules,
    '--confdir', join(dirs.dir, 'conf'),
    '--vardir', join(dirs.dir, 'var'),
    '--codedir', join(dirs.dir, 'code'),
    file,
  ];
  const result = await runCommand('puppet', args, { allowFailure: true, timeoutMs: PUPPET_TIMEOUT_MS });
  return { ...result, lines: significant(result.stdout + result.stderr) };
}

/** Exit codes of --detailed-exitcodes: 0 nothing to do, 2 changes; 1, 4 and 6 are failures. */
function assertApplied(t: ExecutionContext, run: RunResult & { lines: string[] }): void {
  t.true(run.code === 0 || run.code === 2, `puppet apply exit ${run.code}:\n${run.lines.join('\n')}`);
  t.deepEqual(run.lines.filter((l) => /^(Error|Warning):/.test(l)), []);
}

function puppetString(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

const MANIFESTS = ['init', 'install', 'config', 'keytab', 'service', 'nova'].map((m) => join(REPO, 'puppet', 'manifests', `${m}.pp`));

test('the generated parts of the module are what scripts/gen-puppet.ts writes', async (t) => {
  for (const [path, content] of generatedFiles()) {
    t.is(await readFile(join(REPO, path), 'utf8'), content, `${path} is stale: run npx tsx scripts/gen-puppet.ts`);
  }
});

test('class novajoin has one parameter per option, with the table default; compatibility options have none', async (t) => {
  const init = await readFile(join(REPO, 'puppet', 'manifests', 'init.pp'), 'utf8');
  for (const spec of OPTIONS) {
    const declared = new RegExp(`^  .+ \\$${paramName(spec)} = (.*),$`, 'm').exec(init);
    if (spec.ignored) {
      t.is(declared, null, `${spec.name} is compatibility-only`);
      continue;
    }
    t.truthy(declared, `no parameter for [${spec.section}] ${spec.name}`);
  }
  t.is(PUPPET_OPTIONS.length, OPTIONS.filter((s) => !s.ignored).length);
});

test('puppet parser validate accepts every manifest (and rejects a broken one)', async (t) => {
  const ok = await runCommand('puppet', ['parser', 'validate', '--color=false', ...MANIFESTS], { allowFailure: true, timeoutMs: PUPPET_TIMEOUT_MS });
  t.is(ok.code, 0, ok.stderr + ok.stdout);
  const dir = await makeTempDir('novajoin-puppet-bad');
  t.teardown(() => removeDir(dir));
  await writeFile(join(dir, 'bad.pp'), 'class bad ( String $x = ) {}\n');
  const bad = await runCommand('puppet', ['parser', 'validate', '--color=false', join(dir, 'bad.pp')], { allowFailure: true, timeoutMs: PUPPET_TIMEOUT_MS });
  t.not(bad.code, 0);
});

test('the templates are valid ERB (Ruby syntax check of the compiled templates)', async (t) => {
  for (const name of await readdir(join(REPO, 'puppet', 'templates'))) {
    // Puppet compiles templates with trim mode "-".
    const compiled = await runCommand('erb', ['-x', '-T', '-', join(REPO, 'puppet', 'templates', name)]);
    const check = await runCommand('ruby', ['-c'], { input: compiled.stdout, allowFailure: true });
    t.is(check.code, 0, `${name}: ${check.stderr}`);
  }
});

test('puppet-lint --fail-on-warnings passes with every check enabled (and fails on a lint error)', async (t) => {
  const dirs = await puppetDirs(t);
  // Linted through the module path, so the autoloader layout check sees .../novajoin/manifests.
  const lint = await runCommand('puppet-lint', ['--fail-on-warnings', join(dirs.modules, 'novajoin', 'manifests')], { allowFailure: true });
  t.is(lint.code, 0, lint.stdout + lint.stderr);
  const bad = join(dirs.dir, 'bad', 'manifests');
  await mkdir(bad, { recursive: true });
  await writeFile(join(bad, 'init.pp'), '# @summary x\nclass bad {\n  $x = "no interpolation"\n  notice($x)\n}\n');
  const failed = await runCommand('puppet-lint', ['--fail-on-warnings', bad], { allowFailure: true });
  t.not(failed.code, 0);
});

const FIXTURE_SECRETS = [
  'rabbit-s3cret-fixture',
  'svc-s3cret-fixture',
  'authtoken-s3cret-fixture',
  'otp-s3cret-fixture',
  'ipa-s3cret-fixture',
  'nova-s3cret-fixture',
];

test('puppet apply --noop of a production-like site.pp: every resource planned, no error, no secret in the output', async (t) => {
  const dirs = await puppetDirs(t);
  const run = await puppetApply(dirs, await readFile(join(REPO, 'test', 'fixtures', 'puppet', 'site.pp'), 'utf8'), true);
  assertApplied(t, run);
  const output = run.lines.join('\n');
  for (const resource of [
    'Group[novajoin]',
    'User[novajoin]',
    'File[/etc/novajoin]',
    'File[/etc/novajoin/join.conf]',
    'File[/etc/novajoin/policy.yaml]',
    'File[/etc/novajoin/otp.key]',
    'File[/etc/novajoin/ipa.password]',
    'File[/etc/systemd/system/novajoin-server.service]',
    'File[/etc/systemd/system/novajoin-notify.service.d/novajoin-puppet.conf]',
    'Service[novajoin-server]',
    'Service[novajoin-notify]',
    'File[/etc/nova/cloud-config-novajoin.json]',
    'File[/etc/nova/nova.conf.d/novajoin.conf]',
  ]) {
    t.true(output.includes(resource), `${resource} is not in the plan:\n${output}`);
  }
  t.regex(output, /File\[\/etc\/novajoin\/join\.conf\]\/ensure: current_value \[redacted\], should be \[redacted\]/);
  for (const secret of FIXTURE_SECRETS) t.false(run.stdout.includes(secret) || run.stderr.includes(secret), `${secret} in the output`);
});

// ---- rendering for real, into a temporary directory

/** A value of the option that differs from its default, as a puppet literal and as the loader must read it. */
function nonDefault(spec: OptionSpec, dir: string): { puppet: string; expected: OptionValue } {
  const str = (value: string) => ({ puppet: puppetString(value), expected: value });
  const secret = (value: string) => ({ puppet: `Sensitive(${puppetString(value)})`, expected: value });
  const special: Record<string, { puppet: string; expected: OptionValue }> = {
    'DEFAULT keytab': str(join(dir, 'krb5.keytab')),
    'DEFAULT policy_file': str(join(dir, 'policy.yaml')),
    'DEFAULT otp_secret_file': str(join(dir, 'otp.key')),
    'DEFAULT domain': str('cloud.example.test'),
    'DEFAULT hostname_template': str('{hostname}.{project}.{domain}'),
    // Quotes of both kinds and blanks inside a secret: written raw, read back exact.
    'DEFAULT transport_url': secret('rabbit://nj:p\'a"ss w#rd@rabbit.example.test:5672/nova'),
    // Several servers: the URL says where each one's name goes.
    'freeipa server': { puppet: "['ipa1.cloud.example.test', 'ipa2.cloud.example.test']", expected: ['ipa1.cloud.example.test', 'ipa2.cloud.example.test'] },
    'freeipa url': str('https://{server}/ipa'),
    'freeipa dns_servers': { puppet: "['127.0.0.1', '127.0.0.2:5353']", expected: ['127.0.0.1', '127.0.0.2:5353'] },
    'ldap auth': str('simple'),
    'notifications priorities': { puppet: "['info', 'warn']", expected: ['info', 'warn'] },
    'freeipa api_version': str('2.251'),
    'freeipa password_file': str(join(dir, 'ipa.password')),
    'ldap url': { puppet: "['ldap://ipa.example.test']", expected: ['ldap://ipa.example.test'] },
    'ldap bind_password_file': str(join(dir, 'ldap.password')),
    'ldap bind_dn': str('uid=novajoin,cn=sysaccounts,cn=etc,dc=cloud,dc=example,dc=test'),
    'notifications exchanges': { puppet: "['nova', 'neutron', 'glance']", expected: ['nova', 'neutron', 'glance'] },
    'notifications health_file': str(join(dir, 'notify.health')),
    // Inner blanks and a '#', and a value that is itself quoted (the template quotes it so it survives).
    'service_credentials password': secret('pass word # not a comment'),
    'keystone_authtoken password': secret('"quoted"'),
  };
  const hit = special[`${spec.section} ${spec.name}`];
  if (hit) return hit;
  switch (spec.type) {
    case 'string':
      return str(`value-of-${spec.section}-${spec.name}`);
    case 'secret':
      return secret(`s3cret-${spec.section}-${spec.name}`);
    case 'bool':
      return { puppet: String(!spec.default), expected: !spec.default };
    case 'port':
      return { puppet: '9191', expected: 9191 };
    case 'int': {
      const base = spec.default as number;
      const value = spec.max !== undefined && base + 1 > spec.max ? base - 1 : base + 1;
      return { puppet: String(value), expected: value };
    }
    case 'float': {
      const base = spec.default as number;
      const value = spec.max !== undefined && base + 0.5 > spec.max ? base - 0.25 : base + 0.5;
      return { puppet: String(value), expected: value };
    }
    case 'enum': {
      const other = spec.choices?.find((c) => c !== spec.default) ?? (spec.default as string);
      return str(other);
    }
    case 'list':
      return { puppet: "['alpha', 'beta-2']", expected: ['alpha', 'beta-2'] };
  }
}

/**
 * Parameters that keep a render inside `dir` and away from the machine's
 * users and services; units are written only into `units.unitDir`, if given.
 */
function contained(dir: string, units?: { unitDir: string; binDir: string }): string[] {
  return [
    `config_dir => ${puppetString(dir)}`,
    `config_file => ${puppetString(join(dir, 'join.conf'))}`,
    'manage_user => false',
    "user => 'root'",
    "group => 'root'",
    'manage_service => false',
    ...(units
      ? ['manage_unit_files => true', `unit_dir => ${puppetString(units.unitDir)}`, `bin_dir => ${puppetString(units.binDir)}`]
      : ['manage_unit_files => false']),
  ];
}

async function mode(path: string): Promise<number> {
  return (await stat(path)).mode & 0o777;
}

test('join.conf rendered with every option changed loads with zero warnings and carries each value', async (t) => {
  const dirs = await puppetDirs(t);
  const out = join(dirs.dir, 'etc');
  await mkdir(out);
  const unitDir = join(dirs.dir, 'units');
  const binDir = join(dirs.dir, 'bin');
  for (const d of [unitDir, binDir]) await mkdir(d);
  for (const unit of UNITS) {
    await writeFile(join(binDir, unit), '#!/bin/sh\nexit 0\n');
    await chmod(join(binDir, unit), 0o755);
  }
  const expected = new Map<OptionSpec, OptionValue>();
  const params = [...contained(out, { unitDir, binDir })];
  for (const spec of PUPPET_OPTIONS) {
    const value = nonDefault(spec, out);
    expected.set(spec, value.expected);
    params.push(`${paramName(spec)} => ${value.puppet}`);
  }
  params.push(
    "projects => { 'admin' => { 'allowed_classes' => ['web', 'db'], 'allowed_services' => ['HTTP', '*'] }, 'tripleo ops' => { 'allowed_services' => ['haproxy'] } }",
    "policy => { 'join:create' => 'rule:compute_service_user or role:admin' }",
    "otp_secret => Sensitive('0123456789abcdef0123456789abcdef-otp')",
    "freeipa_password => Sensitive('ipa-password-value')",
    "ldap_bind_password => 'ldap-password-value'",
  );
  const nova = join(out, 'nova');
  await mkdir(nova);
  const manifest = [
    `class { 'novajoin':\n  ${params.join(',\n  ')},\n}`,
    `class { 'novajoin::nova':`,
    `  auth_url => 'http://keystone.example.test:5000/v3',`,
    `  password => Sensitive('nova-password-value'),`,
    `  target_url => 'https://novajoin.example.test:9090/v1/',`,
    `  snippet_file => ${puppetString(join(nova, 'novajoin.conf'))},`,
    `  static_json_path => ${puppetString(join(nova, 'cloud-config-novajoin.json'))},`,
    `  nova_group => 'root',`,
    `  notification_format => 'both',`,
    `}`,
  ].join('\n');
  const run = await puppetApply(dirs, manifest, false);
  assertApplied(t, run);
  for (const secret of ['0123456789abcdef0123456789abcdef-otp', 'ipa-password-value', 'ldap-password-value', 'nova-password-value', 'pass word # not', 's3cret-']) {
    t.false(run.stdout.includes(secret) || run.stderr.includes(secret), `${secret} in the puppet output`);
  }

  const file = join(out, 'join.conf');
  const text = await readFile(file, 'utf8');
  t.is(await mode(file), 0o640);
  const { config, warnings } = loadConfigText(text, file);
  t.deepEqual(warnings, []);

  // Every option is written, with the value given to the class.
  const sections = parseIni(text);
  for (const [spec, value] of expected) {
    const raw = sections.get(spec.section)?.get(spec.name);
    if (!raw) {
      t.fail(`[${spec.section}] ${spec.name} is not written`);
      continue;
    }
    t.deepEqual(parseValue(spec, raw.value), { value }, `[${spec.section}] ${spec.name}`);
  }
  for (const spec of OPTIONS.filter((s) => s.ignored)) t.is(sections.get(spec.section)?.get(spec.name), undefined, `${spec.name} written`);

  // And the loader's view of a few of them.
  t.is(config.naming.domain, 'cloud.example.test');
  t.is(config.notifications.transportUrl, 'rabbit://nj:p\'a"ss w#rd@rabbit.example.test:5672/nova');
  t.is(config.serviceCredentials.password, 'pass word # not a comment');
  t.is(config.keystoneAuthtoken.password, '"quoted"');
  t.is(config.server.port, 9191);
  t.deepEqual(config.notifications.exchanges, ['nova', 'neutron', 'glance']);
  t.deepEqual(
    [...config.projects.entries()],
    [
      ['admin', { allowedClasses: ['web', 'db'], allowedServices: ['HTTP', '*'], allowedServiceDomains: [] }],
      ['tripleo ops', { allowedClasses: [], allowedServices: ['haproxy'], allowedServiceDomains: [] }],
    ],
  );

  // Credentials: owner's eyes only.
  t.is(await readFile(join(out, 'otp.key'), 'utf8'), '0123456789abcdef0123456789abcdef-otp');
  t.is(await mode(join(out, 'otp.key')), 0o400);
  t.is(await readFile(join(out, 'ipa.password'), 'utf8'), 'ipa-password-value');
  t.is(await mode(join(out, 'ipa.password')), 0o400);
  t.is(await readFile(join(out, 'ldap.password'), 'utf8'), 'ldap-password-value');

  // Policy: the defaults stay comments, the override is the one rule.
  const policy = await runCommand('/usr/bin/python3', ['-c', 'import json, sys, yaml; json.dump(yaml.safe_load(open(sys.argv[1])), sys.stdout)', join(out, 'policy.yaml')]);
  t.deepEqual(JSON.parse(policy.stdout), { 'join:create': 'rule:compute_service_user or role:admin' });

  // The Nova side, read the way oslo.config's INI dialect reads it (Python configparser is close enough for these keys).
  const novaConf = join(nova, 'novajoin.conf');
  t.is(await mode(novaConf), 0o640);
  const read = await runCommand('/usr/bin/python3', [
    '-c',
    'import configparser, json, sys; c = configparser.RawConfigParser(); c.read(sys.argv[1]); json.dump({s: dict(c[s]) for s in c.sections()}, sys.stdout)',
    novaConf,
  ]);
  t.deepEqual(JSON.parse(read.stdout), {
    api: {
      vendordata_providers: 'StaticJSON,DynamicJSON',
      vendordata_dynamic_targets: 'join@https://novajoin.example.test:9090/v1/',
      vendordata_jsonfile_path: join(nova, 'cloud-config-novajoin.json'),
      vendordata_dynamic_connect_timeout: '5',
      vendordata_dynamic_read_timeout: '5',
      vendordata_dynamic_failure_fatal: 'false',
    },
    vendordata_dynamic_auth: {
      auth_type: 'password',
      auth_url: 'http://keystone.example.test:5000/v3',
      username: 'nova',
      password: 'nova-password-value',
      user_domain_name: 'Default',
      project_name: 'service',
      project_domain_name: 'Default',
    },
    oslo_messaging_notifications: { driver: 'messagingv2', topics: 'notifications,novajoin_notifications' },
    notifications: {
      notify_on_state_change: 'vm_state',
      versioned_notifications_topics: 'versioned_notifications,novajoin_notifications',
      notification_format: 'both',
    },
  });
  t.is(await readFile(join(nova, 'cloud-config-novajoin.json'), 'utf8'), await readFile(join(REPO, 'config', 'cloud-config-novajoin.json'), 'utf8'));

  // The units as installed, with the module's drop-in: systemd accepts them
  // (the drop-in's ExecStart points at the stubs, the shipped /usr/bin path is
  // reset), and the stop timeout follows the drain timeout given.
  const drain = expected.get(PUPPET_OPTIONS.find((s) => s.section === 'notifications' && s.name === 'drain_timeout')!) as number;
  for (const unit of UNITS) {
    t.is(await readFile(join(unitDir, `${unit}.service`), 'utf8'), await readFile(join(REPO, 'systemd', `${unit}.service`), 'utf8'));
    const dropIn = await readFile(join(unitDir, `${unit}.service.d`, 'novajoin-puppet.conf'), 'utf8');
    t.true(dropIn.includes(`\nExecStart=\nExecStart=${binDir}/${unit} --config-file ${join(out, 'join.conf')}\n`), dropIn);
    t.true(dropIn.includes(`\nTimeoutStopSec=${Math.ceil(drain) + 15}s\n`), dropIn);
    t.true(dropIn.includes('\nUser=root\nGroup=root\n'), dropIn);
    const verify = await runCommand('systemd-analyze', ['verify', join(unitDir, `${unit}.service`)], { allowFailure: true });
    t.is(verify.code, 0, verify.stdout + verify.stderr);
    t.is((verify.stdout + verify.stderr).trim(), '');
  }
});

test('join.conf rendered with the class defaults loads with zero warnings to the default configuration', async (t) => {
  const dirs = await puppetDirs(t);
  const out = join(dirs.dir, 'etc');
  await mkdir(out);
  // Only deployment parameters: every option keeps its default. Credentials and
  // policy stay unmanaged so nothing outside the temporary directory is touched.
  const params = [...contained(out), 'manage_credential_files => false', 'manage_policy => false'];
  const run = await puppetApply(dirs, `class { 'novajoin':\n  ${params.join(',\n  ')},\n}\n`, false);
  assertApplied(t, run);
  const text = await readFile(join(out, 'join.conf'), 'utf8');
  const { config, warnings } = loadConfigText(text, null);
  t.deepEqual(warnings, []);
  t.deepEqual(config, defaultConfig());
  const sections = parseIni(text);
  for (const spec of PUPPET_OPTIONS) t.truthy(sections.get(spec.section)?.get(spec.name), `[${spec.section}] ${spec.name} is not written`);
});

test('values join.conf cannot hold are refused, and nothing is written', async (t) => {
  const cases: Array<[string, RegExp]> = [
    ["projects => { 'freeipa' => { 'allowed_services' => ['HTTP'] } }", /freeipa is a section of join\.conf, not a project/],
    ["service_credentials_password => Sensitive(' padded ')", /service_credentials_password starts or ends with a blank/],
    ["keystone_authtoken_password => \"two\\nlines\"", /keystone_authtoken_password contains a line break/],
    ["notifications_exchanges => ['nova,neutron']", /notifications_exchanges: list item .* contains a comma/],
  ];
  // In parallel: each case is its own puppet run in its own directories.
  await Promise.all(cases.map(async ([param, message]) => {
    const dirs = await puppetDirs(t);
    const out = join(dirs.dir, 'etc');
    await mkdir(out);
    const params = [...contained(out), 'manage_credential_files => false', 'manage_policy => false', param];
    const run = await puppetApply(dirs, `class { 'novajoin':\n  ${params.join(',\n  ')},\n}\n`, false);
    t.not(run.code, 0, param);
    t.regex(run.lines.join('\n'), message);
    t.false(run.lines.join('\n').includes('padded'), 'the refused secret is not echoed');
    await t.throwsAsync(stat(join(out, 'join.conf')));
  }));
});
