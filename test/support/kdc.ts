/**
 * A real MIT Kerberos KDC for tests: a private realm database in a temporary
 * directory, `krb5kdc -n` in the foreground on a free loopback TCP port (no
 * UDP listener, and clients told to use TCP), principals and keytabs through
 * kadmin.local.
 * Nothing touches /etc/krb5.conf or /etc/krb5kdc: every process that should
 * use this KDC gets `kdc.env()`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, openSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { freePort, killOnExit, makeTempDir, removeDir, runCommand, waitForPort } from './tmp.js';

export interface Kdc {
  readonly realm: string;
  readonly port: number;
  readonly dir: string;
  /** krb5.conf for clients of this KDC (TCP to 127.0.0.1:port, no DNS, no rdns). The KDC has no UDP listener. */
  readonly krb5Conf: string;
  /** KRB5_CONFIG and KRB5_KDC_PROFILE: what a process needs to use this KDC. */
  env(): Record<string, string>;
  /** Adds a principal; a random key when no password is given. */
  addPrincipal(name: string, opts?: { password?: string; maxLife?: string }): Promise<void>;
  /** Writes the principals' current keys (no new kvno) to a keytab; returns its path. */
  keytab(principals: readonly string[], path?: string): Promise<string>;
  setPassword(name: string, password: string): Promise<void>;
  deletePrincipal(name: string): Promise<void>;
  hasPrincipal(name: string): Promise<boolean>;
  stop(): Promise<void>;
}

export interface StartKdcOptions {
  realm?: string;
  /** Realm, krbtgt and default principal ticket lifetime, as MIT durations ('10h', '1m', '20s'). Default '10h'. */
  maxTicketLife?: string;
}

const KADMIN_TIMEOUT_MS = 30_000;
const START_TIMEOUT_MS = 15_000;

/** A duration MIT's krb5_string_to_deltat accepts; kept to a safe subset so it can go into config files. */
function checkDuration(value: string): string {
  if (!/^(\d+[dhms])+$|^\d+$|^\d{1,2}:\d{2}(:\d{2})?$/.test(value)) throw new Error(`bad Kerberos duration: ${value}`);
  return value;
}

/** kadmin's query parser splits on blanks and honours double quotes; refuse anything that could break out. */
function quote(arg: string): string {
  if (/["\\\n\r]/.test(arg) || arg.length === 0) throw new Error('principal names and passwords for kadmin.local may not contain quotes, backslashes or newlines');
  return `"${arg}"`;
}

export async function startKdc(opts: StartKdcOptions = {}): Promise<Kdc> {
  const realm = opts.realm ?? 'EXAMPLE.TEST';
  if (!/^[A-Z0-9.-]+$/.test(realm)) throw new Error(`bad realm: ${realm}`);
  const maxLife = checkDuration(opts.maxTicketLife ?? '10h');
  const domain = realm.toLowerCase();
  const dir = await makeTempDir('novajoin-kdc');
  let child: ChildProcess | undefined;
  try {
    const port = await freePort();
    const krb5Conf = join(dir, 'krb5.conf');
    const kdcConf = join(dir, 'kdc.conf');
    const env = { KRB5_CONFIG: krb5Conf, KRB5_KDC_PROFILE: kdcConf };

    await writeFile(
      krb5Conf,
      [
        '[libdefaults]',
        `  default_realm = ${realm}`,
        '  dns_lookup_kdc = false',
        '  dns_lookup_realm = false',
        '  rdns = false',
        '  dns_canonicalize_hostname = false',
        // 1 byte: every request is "too big" for UDP, so clients use TCP.
        '  udp_preference_limit = 1',
        '  forwardable = true',
        '  ignore_acceptor_hostname = false',
        '',
        '[realms]',
        `  ${realm} = {`,
        `    kdc = 127.0.0.1:${port}`,
        '  }',
        '',
        '[domain_realm]',
        `  .${domain} = ${realm}`,
        `  ${domain} = ${realm}`,
        '',
      ].join('\n'),
    );
    await writeFile(
      kdcConf,
      [
        '[kdcdefaults]',
        // TCP only: clients are told to prefer it, and no UDP port can clash.
        '  kdc_listen = ""',
        `  kdc_tcp_listen = 127.0.0.1:${port}`,
        '',
        '[realms]',
        `  ${realm} = {`,
        `    database_name = ${join(dir, 'principal')}`,
        `    key_stash_file = ${join(dir, 'stash')}`,
        `    acl_file = ${join(dir, 'kadm5.acl')}`,
        '    kdc_listen = ""',
        `    kdc_tcp_listen = 127.0.0.1:${port}`,
        // The realm ceiling; krbtgt and new principals get it as their own maxlife too.
        `    max_life = ${maxLife}`,
        '    max_renewable_life = 7d',
        '    supported_enctypes = aes256-cts-hmac-sha1-96:normal aes128-cts-hmac-sha1-96:normal',
        '  }',
        '',
        '[logging]',
        `  kdc = FILE:${join(dir, 'kdc.log')}`,
        `  admin_server = FILE:${join(dir, 'kadmin.log')}`,
        `  default = FILE:${join(dir, 'krb5.log')}`,
        '',
      ].join('\n'),
    );
    await writeFile(join(dir, 'kadm5.acl'), '');

    const masterPassword = randomBytes(24).toString('base64url');
    await runCommand('kdb5_util', ['create', '-s', '-r', realm, '-P', masterPassword], { env, timeoutMs: KADMIN_TIMEOUT_MS, secretArgs: true });

    const kadmin = async (query: string): Promise<string> => {
      const { stdout, stderr } = await runCommand('kadmin.local', ['-r', realm, '-q', query], {
        env,
        timeoutMs: KADMIN_TIMEOUT_MS,
        secretArgs: true,
      });
      // kadmin.local reports most failures on stderr with a zero exit; everything
      // except its chatter ("Authenticating as...", "No policy specified...") is an error.
      const problems = stderr
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => l && !/^No policy specified for .*; defaulting to no policy$/.test(l));
      if (problems.length) throw new Error(`kadmin.local ${query.split(' ')[0]}: ${problems.join('; ')}`);
      return stdout;
    };
    const full = (name: string) => (name.includes('@') ? name : `${name}@${realm}`);

    // kdb5_util already used max_life for krbtgt; set it explicitly so a short life surely applies.
    await kadmin(`modprinc -maxlife ${quote(maxLife)} ${quote(`krbtgt/${realm}@${realm}`)}`);

    const log = join(dir, 'krb5kdc.stderr');
    const errFd = openSync(log, 'a');
    child = spawn('krb5kdc', ['-n', '-r', realm], { env: { ...process.env, ...env }, stdio: ['ignore', errFd, errFd] });
    closeSync(errFd);
    killOnExit(child);
    let exited = false;
    child.once('exit', () => (exited = true));
    child.once('error', () => (exited = true));
    await waitForPort(port, START_TIMEOUT_MS, () => !exited);

    const proc = child;
    const kdc: Kdc = {
      realm,
      port,
      dir,
      krb5Conf,
      env: () => ({ ...env }),
      async addPrincipal(name, o = {}) {
        const life = o.maxLife ? `-maxlife ${quote(checkDuration(o.maxLife))} ` : '';
        const key = o.password === undefined ? '-randkey' : `-pw ${quote(o.password)}`;
        await kadmin(`addprinc ${life}${key} ${quote(full(name))}`);
      },
      async keytab(principals, path) {
        const target = path ?? join(dir, `keytab-${randomBytes(6).toString('hex')}.keytab`);
        if (/[\s"]/.test(target)) throw new Error('keytab path may not contain blanks or quotes');
        for (const p of principals) await kadmin(`ktadd -k ${target} -norandkey ${quote(full(p))}`);
        return target;
      },
      async setPassword(name, password) {
        await kadmin(`cpw -pw ${quote(password)} ${quote(full(name))}`);
      },
      async deletePrincipal(name) {
        await kadmin(`delprinc -force ${quote(full(name))}`);
      },
      async hasPrincipal(name) {
        const { stdout } = await runCommand('kadmin.local', ['-r', realm, '-q', `listprincs ${quote(full(name))}`], {
          env,
          timeoutMs: KADMIN_TIMEOUT_MS,
        });
        return stdout.split('\n').some((l) => l.trim() === full(name));
      },
      async stop() {
        if (!exited) {
          const gone = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
          proc.kill('SIGTERM');
          const timer = setTimeout(() => proc.kill('SIGKILL'), 5_000);
          await gone;
          clearTimeout(timer);
        }
        await removeDir(dir);
      },
    };
    return kdc;
  } catch (err) {
    child?.kill('SIGKILL');
    await removeDir(dir);
    throw err;
  }
}
