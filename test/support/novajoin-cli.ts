/**
 * Runs `novajoin` as a real subprocess (node --import tsx src/bin/novajoin.ts)
 * with a join.conf written for the test stack, as an operator would.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseIni } from '../../src/config/ini.js';
import type { IpaStack } from './ipa-stack.js';
import type { OpenStackServers } from './openstack-servers.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const PRELOAD = fileURLToPath(new URL('./resolve-preload.ts', import.meta.url));

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface StackConfigOptions {
  readonly dir: string;
  readonly stack: IpaStack;
  readonly openstack?: OpenStackServers;
  /** Extra lines per section, e.g. { DEFAULT: ['stale_otp_age = 3600'] }. */
  readonly extra?: Record<string, readonly string[]>;
  /** Overrides of single options: { 'freeipa.url': '...' }. */
  readonly set?: Record<string, string>;
  /** Options left out of the file ('ldap.auth'): their built-in defaults apply. */
  readonly unset?: readonly string[];
  /** INI text whose options override the ones above (merged into the file). */
  readonly raw?: string;
  /** File name inside `dir`; default join.conf. */
  readonly file?: string;
}

/** A join.conf for the test stack: Kerberos login with the stack's keytab, LDAP over StartTLS bound as the stack's system account. */
export async function writeStackConfig(opts: StackConfigOptions): Promise<string> {
  const { dir, stack, openstack } = opts;
  // The memory-backed stack has no LDAP: no [ldap] section then (joins need none; resync does).
  const ldap = stack.ldap;
  // One CA bundle for FreeIPA's HTTPS and LDAP, as /etc/ipa/ca.crt is in production.
  const bundle = join(dir, 'ca-bundle.pem');
  await writeFile(bundle, `${await readFile(stack.caFile, 'utf8')}\n${ldap ? await readFile(ldap.caFile, 'utf8') : ''}`);
  const bindPassword = join(dir, 'ldap-bind.password');
  if (ldap) await writeFile(bindPassword, `${ldap.bindPassword}\n`, { mode: 0o600 });
  const otpSecret = join(dir, 'otp.key');
  await writeFile(otpSecret, 'x'.repeat(48), { mode: 0o600 });
  const sections: Record<string, Record<string, string>> = {
    DEFAULT: {
      domain: stack.domain,
      keytab: stack.clientKeytab,
      otp_secret_file: otpSecret,
      transport_url: 'rabbit://guest:guest@127.0.0.1:5672/',
      log_format: 'json',
    },
    freeipa: {
      server: stack.serverName,
      url: stack.url,
      realm: stack.realm,
      ca_file: bundle,
      auth: 'kerberos',
      principal: stack.clientPrincipal,
      timeout: '20',
    },
    ldap: ldap
      ? { url: ldap.url, starttls: 'true', auth: 'simple', bind_dn: ldap.bindDn, bind_password_file: bindPassword, base_dn: stack.suffix }
      : {},
    service_credentials: openstack
      ? { auth_url: openstack.keystoneUrl, username: 'novajoin', password: 'novajoin-secret', project_name: 'service', region_name: openstack.region }
      : {},
    demo: { allowed_services: '*' },
  };
  for (const [key, value] of Object.entries(opts.set ?? {})) {
    const [section, name] = key.split('.') as [string, string];
    (sections[section] ??= {})[name] = value;
  }
  for (const key of opts.unset ?? []) {
    const [section, name] = key.split('.') as [string, string];
    delete sections[section]?.[name];
  }
  // `raw` overrides what is above: merged, because an option set twice is a configuration error.
  for (const [section, options] of parseIni(opts.raw ?? '')) {
    for (const [name, { value }] of options) (sections[section] ??= {})[name] = value.replaceAll('\n', '\n    ');
  }
  let text = '';
  for (const [section, options] of Object.entries(sections)) {
    text += `[${section}]\n`;
    for (const [name, value] of Object.entries(options)) text += `${name} = ${value}\n`;
    for (const line of opts.extra?.[section] ?? []) text += `${line}\n`;
    text += '\n';
  }
  const file = join(dir, opts.file ?? 'join.conf');
  await writeFile(file, text, { mode: 0o600 });
  return file;
}

/** The environment a subprocess needs to reach the stack: Kerberos config and ipa.example.test -> 127.0.0.1. */
export function stackEnv(stack: IpaStack): Record<string, string> {
  return { ...stack.env, ...stack.kdc.env(), NOVAJOIN_TEST_HOSTS: `${stack.serverName}=127.0.0.1` };
}

/** Gathers a child's stdout and stderr until it exits; SIGKILL after `timeoutMs`. */
export function collectOutput(child: ChildProcess, timeoutMs: number, resolve: (result: CliResult) => void, reject: (error: Error) => void): void {
  let stdout = '';
  let stderr = '';
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  child.stdout!.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
  child.on('error', reject);
  child.on('close', (code) => {
    clearTimeout(timer);
    resolve({ code, stdout, stderr });
  });
}

export function runNovajoin(args: readonly string[], opts: { env?: Record<string, string>; input?: string; timeoutMs?: number } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--import', PRELOAD, join(ROOT, 'src/bin/novajoin.ts'), ...args], {
      cwd: ROOT,
      env: { ...process.env, ...opts.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    collectOutput(child, opts.timeoutMs ?? 90_000, resolve, reject);
    child.stdin!.end(opts.input ?? '');
  });
}
