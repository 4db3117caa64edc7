/**
 * Runs inside `unshare -rnm` (user, network and mount namespaces of its own,
 * loopback only, /etc/hosts bind-mounted to map the FreeIPA name to
 * 127.0.0.1): what an operator does with `novajoin dev --kerberos`, step by
 * step. Start dev on port 443 (allowed as the namespace's root), enroll one
 * instance as Nova would, `kinit admin` with the password dev wrote, then
 * FreeIPA's own CLI (`python3 -m ipaclient`, ipalib 4.9) with the
 * environment dev printed. Prints what each step said as JSON.
 *
 *   node --import tsx dev-ipalib-netns.ts <config.json>   -> JSON on stdout
 */
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { runCommand, type RunResult } from './tmp.js';

export interface DevNetnsConfig {
  /** The built package (test/support/built-cli.ts): dev runs as dist/bin/novajoin.js, as installed. */
  readonly root: string;
  /** dev's --dir. */
  readonly dir: string;
  /** A scratch directory for ipalib's cache. */
  readonly scratch: string;
  readonly ipaName: string;
  readonly port: number;
  readonly instanceId: string;
  readonly fqdn: string;
}

export interface DevNetnsOutput {
  readonly devStdout: string;
  readonly devStderr: string;
  readonly join: { status: number; body: Record<string, string> };
  readonly kinit: RunResult;
  readonly hostFind: RunResult;
  readonly hostShow: RunResult;
  readonly devExit: number | null;
  /** Whether the KDC's port still answered after dev stopped. */
  readonly kdcAnswersAfterStop: boolean;
}

const config = JSON.parse(await readFile(process.argv[2] as string, 'utf8')) as DevNetnsConfig;
const args = ['dev', '--kerberos', '--ipa-name', config.ipaName, '--ipa-port', '443', '--no-notify', '--port', String(config.port), '--dir', config.dir];
const dev = spawn(process.execPath, [join(config.root, 'dist', 'bin', 'novajoin.js'), ...args], { cwd: config.root, stdio: ['ignore', 'pipe', 'pipe'] });
let stdout = '';
let stderr = '';
dev.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
const exited = new Promise<number | null>((resolve) => dev.once('exit', (code) => resolve(code)));
await new Promise<void>((resolve, reject) => {
  const timer = setTimeout(() => reject(new Error(`novajoin dev did not start:\n${stdout}\n${stderr}`)), 120_000);
  dev.stdout.on('data', (c: Buffer) => {
    stdout += c.toString();
    if (stdout.includes('Ctrl-C')) {
      clearTimeout(timer);
      resolve();
    }
  });
  dev.once('exit', (code) => reject(new Error(`novajoin dev exited ${code}:\n${stdout}\n${stderr}`)));
});

try {
  // The environment dev printed for FreeIPA's CLI, taken from its own words.
  const exported = /export (KRB5_CONFIG=\S+ KRB5CCNAME=\S+ IPA_CONFDIR=\S+)/.exec(stdout)?.[1];
  if (!exported) throw new Error(`novajoin dev printed no Kerberos environment:\n${stdout}`);
  const env: Record<string, string> = Object.fromEntries(exported.split(' ').map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
  const ipaEnv = { ...env, XDG_CACHE_HOME: join(config.scratch, 'cache'), LC_ALL: 'C.UTF-8' };

  const vendordata = /Vendordata target: (\S+)/.exec(stdout)?.[1] ?? '';
  const res = await fetch(vendordata, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ 'project-id': 'demo', 'instance-id': config.instanceId, 'image-id': '', hostname: 'vm1', metadata: { ipa_enroll: 'true' } }),
  });
  const join_ = { status: res.status, body: (await res.json()) as Record<string, string> };

  const password = await readFile(join(config.dir, 'admin.password'), 'utf8');
  const kinit = await runCommand('kinit', ['admin'], { env, input: password, allowFailure: true, timeoutMs: 30_000 });
  const ipa = (...command: string[]) => runCommand('/usr/bin/python3', ['-m', 'ipaclient', ...command], { env: ipaEnv, allowFailure: true, timeoutMs: 90_000 });
  const hostFind = await ipa('host-find');
  const hostShow = await ipa('host-show', config.fqdn);
  dev.kill('SIGTERM');
  const devExit = await exited;
  const kdcPort = Number(/KDC for \S+ on 127\.0\.0\.1:(\d+)/.exec(stdout)?.[1]);
  const kdcAnswersAfterStop = await new Promise<boolean>((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port: kdcPort });
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
  const output: DevNetnsOutput = { devStdout: stdout, devStderr: stderr, join: join_, kinit, hostFind, hostShow, devExit, kdcAnswersAfterStop };
  process.stdout.write(JSON.stringify(output));
} finally {
  dev.kill('SIGTERM');
}
