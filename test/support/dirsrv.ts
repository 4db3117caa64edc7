/**
 * A real 389 Directory Server (Debian's 389-ds-base, FreeIPA's own directory)
 * for tests: one private instance in a temporary directory, built by hand
 * because dscreate insists on /etc/dirsrv (reference/389ds-in-tests.md):
 * dse.ldif from the package's template, an NSS database with a certificate
 * from makeTestCa (ldaps:// and StartTLS), small caches, `ns-slapd -d 0` in
 * the foreground on two free loopback ports, then the backend and FreeIPA's
 * skeleton added over LDAP as Directory Manager. Never the system instance.
 *
 * As root (CI), ns-slapd runs as the unprivileged `dirsrv` system user
 * (created with `useradd --system` when the package did not): the server
 * drops privileges to nsslapd-localuser anyway, and then needs every file it
 * touches to be that user's.
 *
 * With `kerberos`, ns-slapd gets KRB5_KTNAME/KRB5_CONFIG and FreeIPA's two SASL
 * mappings ("Full Principal", "Name Only"), so GSSAPI binds from the tests'
 * KDC land on the principal's entry, as in FreeIPA.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { closeSync, openSync } from 'node:fs';
import { chmod, copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeEnv } from '../../src/ipa-emulator/layout.js';
import { managedAcis } from '../../src/ipa-emulator/permissions/aci.js';
import { installAcis } from './dirsrv-store.js';
import { makeTestCa } from './tls.js';
import { freePort, killOnExit, makeTempDir, removeDir, runCommand, waitForPort } from './tmp.js';

export interface DirSrv {
  /** ldap://127.0.0.1:<port> (StartTLS offered). */
  readonly url: string;
  /** ldaps://127.0.0.1:<port2>; certificate for ipa.<domain>, localhost and 127.0.0.1. */
  readonly ldapsUrl: string;
  /** PEM of the CA that signed the server certificate. */
  readonly caFile: string;
  /** PEM of an unrelated CA, for "wrong CA" tests. */
  readonly otherCaFile: string;
  readonly suffix: string;
  readonly rootDn: string;
  readonly rootPassword: string;
  readonly dir: string;
  /** LDIF (changetype records or plain entries) applied as Directory Manager. */
  ldapModify(ldif: string, opts?: { add?: boolean; continueOnError?: boolean }): Promise<void>;
  stop(): Promise<void>;
}

export interface StartDirSrvOptions {
  suffix?: string;
  domain?: string;
  realm?: string;
  /**
   * Load FreeIPA's skeleton (test/support/ldap/seed.ldif): default true. With
   * false the database starts empty, for a caller that writes its own tree,
   * suffix entry included, as Directory Manager.
   */
  seed?: boolean;
  /** Accept GSSAPI binds: ldap/<host> keytab and the KDC's krb5.conf. */
  kerberos?: { readonly keytab: string; readonly krb5Conf: string };
}

const DATA = '/usr/share/dirsrv/data';
const SYSTEM_CONFIG = '/etc/dirsrv/config';
const LDAP_DIR = fileURLToPath(new URL('./ldap/', import.meta.url));
const START_TIMEOUT_MS = 30_000;
const ROOT_DN = 'cn=Directory Manager';
const RUN_USER = 'dirsrv';

function domainToSuffix(domain: string): string {
  return domain
    .split('.')
    .map((label) => `dc=${label}`)
    .join(',');
}

/** Root may not be nsslapd-localuser in practice (files must belong to it): use a system user. */
async function runUser(): Promise<{ name: string; uid: number; gid: number } | null> {
  if (process.getuid?.() !== 0) return null;
  const id = async () => {
    const uid = await runCommand('id', ['-u', RUN_USER], { allowFailure: true });
    const gid = await runCommand('id', ['-g', RUN_USER], { allowFailure: true });
    return uid.code === 0 && gid.code === 0 ? { name: RUN_USER, uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) } : null;
  };
  const existing = await id();
  if (existing) return existing;
  await runCommand('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', RUN_USER], { allowFailure: true });
  const made = await id();
  if (!made) throw new Error(`could not create the system user ${RUN_USER} for ns-slapd`);
  return made;
}

function fill(template: string, values: Record<string, string>): string {
  return template.replace(/%([a-z_]+)%/g, (m, key: string) => values[key] ?? m);
}

/** Small caches and logs: ~50 MB per instance instead of ~200 (389ds-in-tests.md). */
function tune(dse: string): string {
  return dse
    .replace(/^(dn: cn=config,cn=ldbm database,cn=plugins,cn=config\n(?:.+\n)*?)(?=\n)/m, (block) =>
      `${block}nsslapd-cache-autosize: 0\nnsslapd-dbcachesize: 8388608\nnsslapd-db-logfile-size: 2097152\n`)
    .replace(/^(dn: cn=config\n(?:.+\n)*?)(?=\n)/m, (block) =>
      `${block}nsslapd-security: on\nnsslapd-securePort: %secure_port%\nnsslapd-accesslog-logbuffering: off\nnsslapd-sizelimit: -1\nnsslapd-lookthroughlimit: -1\n`);
}

function seedLdif(template: string, v: { suffix: string; domain: string; realm: string; master: string }): string {
  const dc = v.suffix.split(',')[0]?.replace(/^dc=/i, '') ?? '';
  const values: Record<string, string> = {
    SUFFIX: v.suffix,
    DC: dc,
    DOMAIN: v.domain,
    REALM: v.realm,
    MASTER: v.master,
    MASTER_SHORT: v.master.split('.')[0] ?? v.master,
    UUID_MASTER: randomUUID(),
  };
  return template
    .split('\n')
    .filter((line) => !line.startsWith('#'))
    .join('\n')
    .replace(/\{([A-Z_]+)\}/g, (m, key: string) => values[key] ?? m);
}

/** The NSS database ns-slapd reads its certificate from: CA trusted, server cert + key as Server-Cert. */
async function nssDb(certDir: string, tls: { caFile: string; certFile: string; keyFile: string }): Promise<void> {
  const p12 = join(certDir, 'server.p12');
  await runCommand('certutil', ['-N', '-d', `sql:${certDir}`, '--empty-password']);
  await runCommand('certutil', ['-A', '-d', `sql:${certDir}`, '-n', 'Test CA', '-t', 'CT,,', '-a', '-i', tls.caFile]);
  await runCommand('openssl', ['pkcs12', '-export', '-in', tls.certFile, '-inkey', tls.keyFile, '-name', 'Server-Cert', '-out', p12, '-passout', 'pass:']);
  await runCommand('pk12util', ['-i', p12, '-d', `sql:${certDir}`, '-W', '', '-K', '']);
  await writeFile(join(certDir, 'pin.txt'), 'Internal (Software) Token:\n', { mode: 0o600 });
}

export async function startDirSrv(opts: StartDirSrvOptions = {}): Promise<DirSrv> {
  const domain = (opts.domain ?? 'example.test').toLowerCase();
  if (!/^[a-z0-9-]+(\.[a-z0-9-]+)+$/.test(domain)) throw new Error(`bad domain: ${domain}`);
  const suffix = opts.suffix ?? domainToSuffix(domain);
  const realm = opts.realm ?? domain.toUpperCase();
  const master = `ipa.${domain}`;
  const dir = await makeTempDir('novajoin-dirsrv');
  let child: ChildProcess | undefined;
  try {
    const user = await runUser();
    const path = (p: string) => join(dir, p);
    for (const d of ['etc', 'etc/schema', 'db', 'ldif', 'bak', 'lock', 'log', 'run', 'tmp', 'certs', 'tls']) await mkdir(path(d), { recursive: true });
    const tls = await makeTestCa(path('tls'), [master, 'localhost']);
    await nssDb(path('certs'), tls);
    // Hex: pwdhash takes a leading '-' for an option.
    const rootPassword = randomBytes(18).toString('hex');
    const hashed = (await runCommand('pwdhash', ['-s', 'SSHA512', rootPassword], { secretArgs: true })).stdout.trim();
    // The package keeps these in a directory only its group may read: copy as root, or ship nothing else.
    for (const f of ['slapd-collations.conf', 'certmap.conf']) await copyFile(join(SYSTEM_CONFIG, f), path(`etc/${f}`));
    await writeFile(path('etc/schema/99user.ldif'), 'dn: cn=schema\nobjectclass: top\nobjectclass: ldapSubentry\nobjectclass: subschema\ncn: schema\n');
    await copyFile(join(LDAP_DIR, '70freeipa.ldif'), path('etc/schema/70freeipa.ldif'));
    // Copies inside the instance directory: ns-slapd (as the dirsrv user under root) reads only its own files.
    if (opts.kerberos) {
      await copyFile(opts.kerberos.keytab, path('etc/ldap.keytab'));
      await copyFile(opts.kerberos.krb5Conf, path('etc/krb5.conf'));
    }

    for (let attempt = 1; ; attempt++) {
      const port = await freePort();
      const tlsPort = await freePort();
      const dse = fill(tune(await readFile(join(DATA, 'template-dse.ldif'), 'utf8')), {
        config_dir: path('etc'),
        schema_dir: path('etc/schema'),
        lock_dir: path('lock'),
        tmp_dir: path('tmp'),
        cert_dir: path('certs'),
        ldif_dir: path('ldif'),
        bak_dir: path('bak'),
        run_dir: path('run'),
        inst_dir: dir,
        log_dir: path('log'),
        db_dir: path('db'),
        db_home_dir: path('db'),
        db_lib: 'bdb',
        fqdn: master,
        ds_port: String(port),
        secure_port: String(tlsPort),
        ds_user: user?.name ?? userInfo().username,
        rootdn: ROOT_DN,
        ds_passwd: hashed,
        ldapi_enabled: 'off',
        ldapi: path('run/slapd.socket'),
        ldapi_autobind: 'off',
        ds_suffix: suffix,
      });
      await writeFile(path('etc/dse.ldif'), dse, { mode: 0o600 });
      if (user) {
        await runCommand('chown', ['-R', `${user.uid}:${user.gid}`, dir]);
        await chmod(dir, 0o700);
      }
      const logFd = openSync(path('ns-slapd.out'), 'a');
      const env: Record<string, string> = { ...(process.env as Record<string, string>) };
      if (opts.kerberos) {
        env.KRB5_KTNAME = `FILE:${path('etc/ldap.keytab')}`;
        env.KRB5_CONFIG = path('etc/krb5.conf');
        env.KRB5RCACHEDIR = path('tmp');
      }
      const proc = spawn('/usr/sbin/ns-slapd', ['-D', path('etc'), '-i', path('run/pid'), '-d', '0'], { stdio: ['ignore', logFd, logFd], env });
      closeSync(logFd);
      killOnExit(proc);
      child = proc;
      let exited = false;
      proc.once('exit', () => (exited = true));
      proc.once('error', () => (exited = true));
      const url = `ldap://127.0.0.1:${port}`;
      const ldapsUrl = `ldaps://127.0.0.1:${tlsPort}`;
      const pwFile = path('tmp/rootpw');
      await writeFile(pwFile, rootPassword, { mode: 0o600 });
      const modify = async (ldif: string, o: { add?: boolean; continueOnError?: boolean } = {}) => {
        await runCommand('ldapmodify', ['-x', '-o', 'nettimeout=10', '-H', url, '-D', ROOT_DN, '-y', pwFile, ...(o.add ? ['-a'] : []), ...(o.continueOnError ? ['-c'] : [])], {
          input: ldif,
          timeoutMs: 60_000,
        });
      };
      try {
        await waitForPort(port, START_TIMEOUT_MS, () => !exited);
        await waitForPort(tlsPort, START_TIMEOUT_MS, () => !exited);
      } catch (err) {
        proc.kill('SIGKILL');
        const log = await readFile(path('log/errors'), 'utf8').catch(() => '');
        const out = await readFile(path('ns-slapd.out'), 'utf8').catch(() => '');
        if (attempt < 3 && exited && /bind|address already in use|Address in use/i.test(log + out)) continue;
        throw new Error(`ns-slapd did not start: ${(err as Error).message}; errors: ${log.slice(-2000)} ${out.slice(-1000)}`, { cause: err });
      }
      // The backend over LDAP: put in dse.ldif, ns-slapd exits without a word.
      await modify(backendLdif(suffix, realm, !!opts.kerberos), { add: true });
      const seed = seedLdif(await readFile(join(LDAP_DIR, 'seed.ldif'), 'utf8'), { suffix, domain, realm, master });
      if (opts.seed !== false) {
        await modify(seed, { add: true });
        // FreeIPA's tree comes with its ACIs: from here on 389-ds, not the caller, decides rights.
        await installAcis({ url, rootDn: ROOT_DN, rootPassword, ldapModify: modify }, managedAcis(makeEnv({ domain, realm, suffix })));
      }
      const stop = async () => {
        if (!exited) {
          const gone = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
          // Throwaway data: no need for the 2-3 s of an orderly shutdown.
          proc.kill('SIGKILL');
          await gone;
        }
        await removeDir(dir);
      };
      return { url, ldapsUrl, caFile: tls.caFile, otherCaFile: tls.otherCaFile, suffix, rootDn: ROOT_DN, rootPassword, dir, ldapModify: modify, stop };
    }
  } catch (err) {
    child?.kill('SIGKILL');
    await removeDir(dir);
    throw err;
  }
}

function backendLdif(suffix: string, realm: string, kerberos: boolean): string {
  const records = [
    `dn: cn=userRoot,cn=ldbm database,cn=plugins,cn=config
objectClass: top
objectClass: extensibleObject
objectClass: nsBackendInstance
cn: userRoot
nsslapd-suffix: ${suffix}`,
    `dn: cn="${suffix}",cn=mapping tree,cn=config
objectClass: top
objectClass: extensibleObject
objectClass: nsMappingTree
cn: ${suffix}
nsslapd-state: backend
nsslapd-backend: userRoot`,
    ...['fqdn', 'krbPrincipalName', 'krbCanonicalName', 'managedBy', 'ipaUniqueID', 'idnsName', 'description'].map(
      (attr) => `dn: cn=${attr},cn=index,cn=userRoot,cn=ldbm database,cn=plugins,cn=config
objectClass: top
objectClass: nsIndex
cn: ${attr}
nsSystemIndex: false
nsIndexType: eq${attr === 'fqdn' || attr === 'description' || attr === 'krbPrincipalName' ? '\nnsIndexType: sub' : ''}`,
    ),
  ];
  if (kerberos) {
    // FreeIPA's own mappings (dsinstance.py): the realm-less name of the default realm, and full principals.
    records.push(
      `dn: cn=Full Principal,cn=mapping,cn=sasl,cn=config
objectClass: top
objectClass: nsSaslMapping
cn: Full Principal
nsSaslMapRegexString: \\(.*\\)@\\(.*\\)
nsSaslMapBaseDNTemplate: ${suffix}
nsSaslMapFilterTemplate: (krbPrincipalName=\\1@\\2)
nsSaslMapPriority: 10`,
      `dn: cn=Name Only,cn=mapping,cn=sasl,cn=config
objectClass: top
objectClass: nsSaslMapping
cn: Name Only
nsSaslMapRegexString: ^[^:@]+$
nsSaslMapBaseDNTemplate: ${suffix}
nsSaslMapFilterTemplate: (krbPrincipalName=&@${realm})
nsSaslMapPriority: 10`,
    );
  }
  return `${records.join('\n\n')}\n`;
}
