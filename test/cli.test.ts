/**
 * The command-line conventions, through the built binaries (node
 * dist/bin/*.js): -h and --help everywhere, `novajoin help <command>`,
 * --version, --log-format/--debug on every command, one exit-status
 * convention (0 ok, 1 findings or failures, 2 usage or configuration), flags
 * named in errors, a taken port answered with the setting that changes it,
 * and bash completion.
 */
import test from 'ava';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { builtPackage, runBuilt, type Binary } from './support/built-cli.js';
import { makeTestCa } from './support/tls.js';
import { makeTempDir, removeDir, runCommand } from './support/tmp.js';

const ROOT = new URL('..', import.meta.url).pathname;
const COMMANDS = ['dev', 'resync', 'ipa-setup', 'check', 'sample-config', 'completion'];
let dir: string;

test.before(async () => {
  dir = await makeTempDir('novajoin-cli');
  await builtPackage();
});

test.after.always(async () => {
  if (dir) await removeDir(dir);
});

// Each run is a node start; on a loaded machine they are slow, so --help outputs are shared between tests.
const helps = new Map<string, ReturnType<typeof runBuilt>>();
const helpOf = (binary: Binary, prefix: readonly string[]) => {
  const key = [binary, ...prefix].join(' ');
  if (!helps.has(key)) helps.set(key, runBuilt(binary, [...prefix, '--help']));
  return helps.get(key)!;
};

const version = async () => (JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

test('-h and --help print the same usage on stdout, exit 0, for every binary and command', async (t) => {
  t.timeout(600_000, 'one node start per run, slow on a loaded machine');
  const runs: Array<[Binary, string[]]> = [
    ['novajoin', []],
    ['novajoin-server', []],
    ['novajoin-notify', []],
    ...COMMANDS.map((c): [Binary, string[]] => ['novajoin', [c]]),
  ];
  for (const [binary, prefix] of runs) {
    const name = [binary, ...prefix].join(' ');
    const long = await helpOf(binary, prefix);
    const short = await runBuilt(binary, [...prefix, '-h']);
    t.is(long.code, 0, `${name} --help: ${long.stderr}`);
    t.is(long.stderr, '', name);
    t.regex(long.stdout, /^Usage: novajoin/, name);
    t.regex(long.stdout, /Exit status: 0 [\s\S]*?;\s+1 [\s\S]*?;\s+2 usage or\s+configuration error/, `${name} documents the exit statuses`);
    t.is(short.stdout, long.stdout, `${name} -h`);
    t.is(short.code, 0);
  }
});

test('novajoin help <command> is that command\'s --help; the top-level help lists every command and --version', async (t) => {
  t.timeout(600_000, 'one node start per run, slow on a loaded machine');
  for (const command of COMMANDS) {
    const help = await runBuilt('novajoin', ['help', command]);
    t.is(help.code, 0, command);
    t.is(help.stdout, (await helpOf('novajoin', [command])).stdout, command);
  }
  const top = await runBuilt('novajoin', ['help']);
  t.is(top.stdout, (await helpOf('novajoin', [])).stdout);
  t.is(top.code, 0);
  for (const command of [...COMMANDS, 'help']) t.regex(top.stdout, new RegExp(`^  ${command} `, 'm'), command);
  t.regex(top.stdout, /novajoin --version/);
  const unknown = await runBuilt('novajoin', ['help', 'frobnicate']);
  t.is(unknown.code, 2);
  t.regex(unknown.stderr, /unknown command "frobnicate"/);
  const bare = await runBuilt('novajoin', []);
  t.is(bare.code, 2, 'no command is a usage error');
  t.is(bare.stdout, '');
  t.regex(bare.stderr, /^novajoin: name a command\nUsage:/);
});

test('--version on the three binaries, and listed in their help', async (t) => {
  t.timeout(600_000, 'one node start per run, slow on a loaded machine');
  for (const binary of ['novajoin', 'novajoin-server', 'novajoin-notify'] as const) {
    const shown = await runBuilt(binary, ['--version']);
    t.is(shown.code, 0);
    t.is(shown.stdout.trim(), await version(), binary);
    t.regex((await helpOf(binary, [])).stdout, /--version/, binary);
  }
});

test('every command takes --log-format and --debug; a bad value or an unknown flag is exit 2 naming the flag', async (t) => {
  t.timeout(600_000, 'one node start per run, slow on a loaded machine');
  const runs = [['novajoin-server', []], ['novajoin-notify', []], ...['dev', 'resync', 'ipa-setup', 'check'].map((c) => ['novajoin', [c]])] as Array<[Binary, string[]]>;
  for (const [binary, prefix] of runs) {
    const name = [binary, ...prefix].join(' ');
    const help = (await helpOf(binary, prefix)).stdout;
    t.regex(help, /--log-format/, name);
    t.regex(help, /--debug/, name);
    const bad = await runBuilt(binary, [...prefix, '--log-format', 'xml']);
    t.is(bad.code, 2, name);
    t.regex(bad.stderr, /--log-format: "xml" is not one of: auto, json, text/, name);
    const unknown = await runBuilt(binary, [...prefix, '--frobnicate']);
    t.is(unknown.code, 2, name);
    t.regex(unknown.stderr, /'--frobnicate'/, name);
    t.regex(unknown.stderr, /Usage: /, name);
  }
});

test('novajoin-server reports every configuration problem at once, exit 2, and does not start', async (t) => {
  t.timeout(600_000, 'one node start per run, slow on a loaded machine');
  const file = join(dir, 'bad.conf');
  await writeFile(file, [
    '[DEFAULT]',
    'join_listen = 127.0.0.1',
    'join_listen_port = 70000',
    'debug = sometimes',
    `keytab = ${join(dir, 'absent.keytab')}`,
    `otp_secret_file = ${join(dir, 'absent.key')}`,
    'auth_strategy = keystone',
    '[freeipa]',
    'server = ipa.example.test',
    `ca_file = ${join(dir, 'absent-ca.crt')}`,
  ].join('\n'));
  const run = await runBuilt('novajoin-server', ['--config-file', file]);
  t.is(run.code, 2);
  t.is(run.stdout, '', 'nothing logged: it did not start');
  const lines = run.stderr.trim().split('\n');
  t.deepEqual(lines.map((l) => /\[(\w+)\] (\w+)/.exec(l)?.slice(1).join(' ') ?? l), [
    'DEFAULT join_listen_port',
    'DEFAULT debug',
    'DEFAULT keytab',
    'DEFAULT otp_secret_file',
    'freeipa ca_file',
    'keystone_authtoken auth_url',
    'keystone_authtoken password',
    'novajoin-server: 7 configuration errors; nothing started',
  ]);
  t.regex(lines[0]!, new RegExp(`^novajoin-server: ${file.replaceAll('/', '\\/')}:3: error: \\[DEFAULT\\] join_listen_port: 70000 is above the maximum 65535$`));
  t.regex(lines[5]!, /auth_url: must be set .*with auth_strategy = keystone, every join would be refused without it/);
});

async function occupy(): Promise<{ server: Server; port: number }> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as { port: number }).port };
}

test('a taken port is answered with the setting that changes it: the option for novajoin-server, the flag for novajoin dev', async (t) => {
  t.timeout(600_000, 'one node start per run, slow on a loaded machine');
  const taken = await occupy();
  t.teardown(() => taken.server.close());
  const dev = await runBuilt('novajoin', ['dev', '--port', String(taken.port)]);
  t.is(dev.code, 1);
  t.regex(dev.stderr, new RegExp(`127\\.0\\.0\\.1:${taken.port} is already in use .*; choose a free port with --port\\n`));
  t.notRegex(dev.stderr, /EADDRINUSE|join_listen_port/);

  await mkdir(join(dir, 'ca'));
  const ca = await makeTestCa(join(dir, 'ca'), ['ipa.example.test']);
  const keytab = join(dir, 'some.keytab');
  await writeFile(keytab, Buffer.from([5, 2]));
  const secret = join(dir, 'otp.key');
  await writeFile(secret, 'x'.repeat(48), { mode: 0o600 });
  const file = join(dir, 'taken.conf');
  await writeFile(file, [
    '[DEFAULT]',
    'join_listen = 127.0.0.1',
    `join_listen_port = ${taken.port}`,
    `keytab = ${keytab}`,
    `otp_secret_file = ${secret}`,
    'policy_file =',
    '[freeipa]',
    'server = ipa.example.test',
    'url = https://127.0.0.1:1/ipa',
    `ca_file = ${ca.caFile}`,
    'timeout = 1',
    '[keystone_authtoken]',
    'auth_url = http://127.0.0.1:1/v3',
    'password = unused',
  ].join('\n'));
  const server = await runBuilt('novajoin-server', ['--config-file', file, '--log-format', 'json']);
  t.is(server.code, 1);
  t.regex(server.stderr, new RegExp(`^novajoin-server: 127\\.0\\.0\\.1:${taken.port} is already in use .*; choose a free port with \\[DEFAULT\\] join_listen_port$`, 'm'));
});

test('novajoin dev names its own flags in errors, not the options they map to', async (t) => {
  t.timeout(600_000, 'one node start per run, slow on a loaded machine');
  const run = await runBuilt('novajoin', ['dev', '--port', '99999']);
  t.is(run.code, 2);
  t.is(run.stderr.trim(), 'novajoin dev: --port: 99999 is above the maximum 65535');
  const domain = await runBuilt('novajoin', ['dev', '--domain', 'bad_domain!']);
  t.is(domain.code, 2);
  t.regex(domain.stderr, /^novajoin dev: --domain: "bad_domain!" is not a DNS domain name/);
});

test('bash completion: `novajoin completion bash` is the shipped file, and completes commands and each command\'s flags', async (t) => {
  t.timeout(600_000, 'one node start per run, slow on a loaded machine');
  const printed = await runBuilt('novajoin', ['completion', 'bash']);
  t.is(printed.code, 0);
  t.is(printed.stdout, await readFile(join(ROOT, 'completion/novajoin.bash'), 'utf8'), 'completion/novajoin.bash is up to date (npm run gen)');
  t.is((await runBuilt('novajoin', ['completion', 'zsh'])).code, 2);
  const script = join(dir, 'completion.bash');
  await writeFile(script, printed.stdout);
  const complete = async (...words: string[]) => {
    const line = `source ${script}; COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; ${words[0] === 'novajoin' ? '_novajoin' : '_novajoin_daemon'}; printf '%s\\n' "\${COMPREPLY[@]}"`;
    return (await runCommand('bash', ['--norc', '-c', line])).stdout.trim().split('\n').filter(Boolean);
  };
  t.deepEqual(await complete('novajoin', 'ch'), ['check']);
  t.deepEqual(await complete('novajoin', 'check', '--j'), ['--json']);
  t.deepEqual(await complete('novajoin', 'help', 're'), ['resync']);
  t.deepEqual(await complete('novajoin', 'check', '--log-format', 'j'), ['json']);
  t.deepEqual(await complete('novajoin-server', '--ver'), ['--version']);
  // Every flag completion offers is one the command's --help documents.
  for (const command of ['dev', 'resync', 'ipa-setup', 'check']) {
    const help = (await helpOf('novajoin', [command])).stdout;
    for (const flag of await complete('novajoin', command, '-')) t.true(help.includes(flag), `${command} --help documents ${flag}`);
  }
});
