/**
 * A real MIT Kerberos KDC, unprivileged: a private realm database in a
 * directory of the caller's, `krb5kdc -n` in the foreground on a free
 * loopback TCP port, principals and keytabs through kadmin.local. `novajoin
 * dev --kerberos` runs one so FreeIPA's own tools (kinit, ipalib) can log in
 * to its embedded FreeIPA; the tests run one per test file.
 * Nothing touches /etc/krb5.conf or /etc/krb5kdc: every process that should
 * use this KDC gets `kdc.env()`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, killOnExit, waitForPort } from './child.js';
import { writeKdcConfig } from './kdc-conf.js';
import { kdcPrograms } from './kdc-programs.js';
import { checkDuration, kadminLocal, quote, runKdbCreate } from './kadmin.js';

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
  /** Stops krb5kdc; the directory is left to its owner. */
  stop(): Promise<void>;
}

export interface StartKdcOptions {
  /** An empty directory for the database, configuration and logs. */
  dir: string;
  realm?: string;
  /** The DNS domain of the realm's hosts; default the realm in lower case. */
  domain?: string;
  /** Realm, krbtgt and default principal ticket lifetime, as MIT durations ('10h', '1m', '20s'). Default '10h'. */
  maxTicketLife?: string;
}

const START_TIMEOUT_MS = 15_000;

export async function startKdc(opts: StartKdcOptions): Promise<Kdc> {
  const realm = opts.realm ?? 'EXAMPLE.TEST';
  if (!/^[A-Z0-9.-]+$/.test(realm)) throw new Error(`bad realm: ${realm}`);
  const maxLife = checkDuration(opts.maxTicketLife ?? '10h');
  const programs = kdcPrograms();
  const { dir } = opts;
  let child: ChildProcess | undefined;
  try {
    const port = await freePort();
    const { krb5Conf, kdcConf } = await writeKdcConfig(dir, { realm, domain: opts.domain ?? realm.toLowerCase(), port, maxLife });
    const env = { KRB5_CONFIG: krb5Conf, KRB5_KDC_PROFILE: kdcConf };
    await runKdbCreate(programs.kdb5Util, realm, randomBytes(24).toString('base64url'), env);
    const kadmin = kadminLocal(programs.kadminLocal, realm, env);
    const full = (name: string) => (name.includes('@') ? name : `${name}@${realm}`);
    // kdb5_util already used max_life for krbtgt; set it explicitly so a short life surely applies.
    await kadmin(`modprinc -maxlife ${quote(maxLife)} ${quote(`krbtgt/${realm}@${realm}`)}`);

    const errFd = openSync(join(dir, 'krb5kdc.stderr'), 'a');
    child = spawn(programs.krb5kdc, ['-n', '-r', realm], { env: { ...process.env, ...env }, stdio: ['ignore', errFd, errFd] });
    closeSync(errFd);
    killOnExit(child);
    let exited = false;
    child.once('exit', () => (exited = true));
    child.once('error', () => (exited = true));
    await waitForPort(port, START_TIMEOUT_MS, () => !exited);

    const proc = child;
    return {
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
        const stdout = await kadmin(`listprincs ${quote(full(name))}`);
        return stdout.split('\n').some((l) => l.trim() === full(name));
      },
      async stop() {
        if (exited) return;
        const gone = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
        proc.kill('SIGTERM');
        const timer = setTimeout(() => proc.kill('SIGKILL'), 5_000);
        await gone;
        clearTimeout(timer);
      },
    };
  } catch (err) {
    child?.kill('SIGKILL');
    throw err;
  }
}
